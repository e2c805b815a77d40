// Command pod-security-oracle runs the Pod Security Admission checks of Kubernetes itself
// (k8s.io/pod-security-admission, the code the API server runs) over pods read from stdin, so the
// TypeScript checker of test/support/pod-security.ts can be compared with the reference.
//
// Input: a JSON array of {"id", "metadata", "spec"}; unknown fields are errors, so a misspelt
// field in a fixture cannot pass silently. Output: a JSON array of {"id", "baseline",
// "restricted"}, the ids of the checks that fail at each level, for the pinned version.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type input struct {
	ID       string          `json:"id"`
	Metadata json.RawMessage `json:"metadata"`
	Spec     json.RawMessage `json:"spec"`
}

type output struct {
	ID         string   `json:"id"`
	Baseline   []string `json:"baseline"`
	Restricted []string `json:"restricted"`
}

func strict(raw json.RawMessage, into interface{}) error {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

func main() {
	if len(os.Args) != 2 {
		fail(fmt.Errorf("usage: pod-security-oracle v1.MINOR < pods.json"))
	}
	version, err := api.ParseVersion(os.Args[1])
	if err != nil {
		fail(err)
	}
	var pods []input
	if err := json.NewDecoder(os.Stdin).Decode(&pods); err != nil {
		fail(err)
	}

	// The version of each check that applies, and the baseline checks restricted ones replace.
	type selected struct {
		id    policy.CheckID
		level api.Level
		check policy.VersionedCheck
	}
	var checks []selected
	overridden := map[policy.CheckID]bool{}
	for _, c := range policy.DefaultChecks() {
		var found *policy.VersionedCheck
		for i := range c.Versions {
			if !version.Older(c.Versions[i].MinimumVersion) {
				found = &c.Versions[i]
			}
		}
		if found == nil {
			continue
		}
		checks = append(checks, selected{c.ID, c.Level, *found})
		if c.Level == api.LevelRestricted {
			for _, o := range found.OverrideCheckIDs {
				overridden[o] = true
			}
		}
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks())
	if err != nil {
		fail(err)
	}

	var results []output
	for _, p := range pods {
		var meta metav1.ObjectMeta
		var spec corev1.PodSpec
		if err := strict(p.Metadata, &meta); err != nil {
			fail(fmt.Errorf("%s: metadata: %w", p.ID, err))
		}
		if err := strict(p.Spec, &spec); err != nil {
			fail(fmt.Errorf("%s: spec: %w", p.ID, err))
		}
		out := output{ID: p.ID, Baseline: []string{}, Restricted: []string{}}
		for _, c := range checks {
			if c.check.CheckPod(&meta, &spec).Allowed {
				continue
			}
			if c.level == api.LevelBaseline {
				out.Baseline = append(out.Baseline, string(c.id))
			}
			if c.level == api.LevelRestricted || !overridden[c.id] {
				out.Restricted = append(out.Restricted, string(c.id))
			}
		}
		sort.Strings(out.Baseline)
		sort.Strings(out.Restricted)
		// The per-check view must agree with the evaluator the admission controller uses.
		for level, ids := range map[api.Level][]string{api.LevelBaseline: out.Baseline, api.LevelRestricted: out.Restricted} {
			denied := 0
			for _, r := range evaluator.EvaluatePod(api.LevelVersion{Level: level, Version: version}, &meta, &spec) {
				if !r.Allowed {
					denied++
				}
			}
			if denied != len(ids) {
				fail(fmt.Errorf("%s: %s: %d checks fail in the evaluator, %d by check", p.ID, level, denied, len(ids)))
			}
		}
		results = append(results, out)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pod-security-oracle:", err)
	os.Exit(1)
}
