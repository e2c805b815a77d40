// The shell scripts of the backup and restore Jobs: pg_dump into the volume, upload to and download from
// the object store, pg_restore. No objects.

const DUMP_PATTERN = '^merlai-[0-9]{8}T[0-9]{6}Z\\.dump$';

// POSIX sh (the image's /bin/sh is dash): no pipefail, so nothing whose failure matters sits in a pipe.
export const BACKUP_SCRIPT = `set -eu
stamp=$(date -u +%Y%m%dT%H%M%SZ)
dump="$BACKUP_DIR/merlai-$stamp.dump"
partial="$BACKUP_DIR/.merlai-$stamp.dump.partial"
trap 'rm -f "$partial"' EXIT
pg_dump --dbname="$DATABASE_URL" --format=custom --no-owner --no-privileges --file="$partial"
pg_restore --list "$partial" > /dev/null
mv "$partial" "$dump"
echo "wrote $dump ($(wc -c < "$dump") bytes)"
ls -1 "$BACKUP_DIR" | grep -E '${DUMP_PATTERN}' | sort -r | tail -n +"$((BACKUP_RETENTION + 1))" |
  while read -r old; do
    rm -f "$BACKUP_DIR/$old"
    echo "removed $old: keeping the newest $BACKUP_RETENTION dumps"
  done
`;

export const RESTORE_SCRIPT = `set -eu
if [ -n "\${RESTORE_FILE:-}" ]; then
  name="$RESTORE_FILE"
else
  name=$(ls -1 "$BACKUP_DIR" | grep -E '${DUMP_PATTERN}' | sort | tail -n 1)
fi
if [ -z "$name" ] || [ ! -f "$BACKUP_DIR/$name" ]; then
  echo "no dump '$name' in $BACKUP_DIR" >&2
  exit 1
fi
pg_restore --list "$BACKUP_DIR/$name" > /dev/null
pg_restore --dbname="$DATABASE_URL" --clean --if-exists --no-owner --no-privileges --single-transaction "$BACKUP_DIR/$name"
echo "restored $BACKUP_DIR/$name"
`;

// One signed S3 request (path-style, AWS Signature V4) with curl: `s3 KEY CURL-ARGS...`. The key
// pair reaches curl on its standard input (a config file), never on its command line.
const S3_CLIENT = `s3() {
  key=$1
  shift
  printf 'user = "%s:%s"\\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" |
    curl --config - --silent --show-error --fail --retry 3 --connect-timeout 10 \\
      --aws-sigv4 "aws:amz:$S3_REGION:s3" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \\
      \${S3_CA_FILE:+--cacert "$S3_CA_FILE"} "$@" "$S3_ENDPOINT/$S3_BUCKET/$key"
}
# The names of the dumps under the prefix (ListObjectsV2; query parameters in signing order).
list_dumps() {
  listing=$(s3 '' --get --data-urlencode 'list-type=2' --data-urlencode "prefix=$S3_PREFIX/")
  printf '%s\\n' "$listing" | grep -o '<Key>[^<]*</Key>' | sed -e 's#^<Key>##' -e 's#</Key>$##' \\
    -e "s#^$S3_PREFIX/##" | grep -E '${DUMP_PATTERN}' | sort
}
`;

// After the dump (init container, PostgreSQL image): copy the newest dump to the object store,
// check the stored size, then keep the newest BACKUP_RETENTION dumps there.
export const UPLOAD_SCRIPT = `set -eu
${S3_CLIENT}name=$(ls -1 "$BACKUP_DIR" | grep -E '${DUMP_PATTERN}' | sort | tail -n 1)
if [ -z "$name" ]; then
  echo "no dump in $BACKUP_DIR to upload" >&2
  exit 1
fi
size=$(($(wc -c < "$BACKUP_DIR/$name")))
s3 "$S3_PREFIX/$name" --upload-file "$BACKUP_DIR/$name" > /dev/null
headers=$(s3 "$S3_PREFIX/$name" --head)
stored=$(printf '%s\\n' "$headers" | tr -d '\\r' | sed -n 's/^[Cc]ontent-[Ll]ength: *//p')
if [ "$stored" != "$size" ]; then
  echo "uploaded $S3_PREFIX/$name, but the object store holds \${stored:-no} bytes instead of $size" >&2
  exit 1
fi
echo "uploaded $name to $S3_ENDPOINT/$S3_BUCKET/$S3_PREFIX/ ($size bytes)"
dumps=$(list_dumps)
printf '%s\\n' "$dumps" | grep -E '${DUMP_PATTERN}' | sort -r | tail -n +"$((BACKUP_RETENTION + 1))" |
  while read -r old; do
    s3 "$S3_PREFIX/$old" --request DELETE > /dev/null
    echo "removed $S3_PREFIX/$old from the object store: keeping the newest $BACKUP_RETENTION dumps"
  done
`;

// Before the restore (init container): fetch RESTORE_FILE, or the newest dump, from the object
// store into RESTORE_DIR; the restore container then restores that file and nothing else.
export const DOWNLOAD_SCRIPT = `set -eu
${S3_CLIENT}if [ -n "\${RESTORE_FILE:-}" ]; then
  name="$RESTORE_FILE"
else
  dumps=$(list_dumps)
  name=$(printf '%s\\n' "$dumps" | tail -n 1)
fi
if ! printf '%s\\n' "$name" | grep -Eq '${DUMP_PATTERN}'; then
  echo "no dump '$name' under $S3_ENDPOINT/$S3_BUCKET/$S3_PREFIX/ (expected a name like merlai-20260101T030000Z.dump)" >&2
  exit 1
fi
mkdir -p "$RESTORE_DIR"
rm -f "$RESTORE_DIR"/merlai-*.dump "$RESTORE_DIR"/.merlai-*.partial
partial="$RESTORE_DIR/.$name.partial"
trap 'rm -f "$partial"' EXIT
s3 "$S3_PREFIX/$name" --output "$partial"
mv "$partial" "$RESTORE_DIR/$name"
echo "downloaded $S3_PREFIX/$name ($(($(wc -c < "$RESTORE_DIR/$name"))) bytes)"
`;
