module merlai.local/pause

go 1.22
