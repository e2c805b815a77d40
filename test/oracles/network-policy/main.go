// Command network-policy-oracle evaluates NetworkPolicies with cyclonus' policy engine
// (github.com/mattfenwick/cyclonus/pkg/matcher, the model behind the upstream NetworkPolicy
// conformance tool, now sigs.k8s.io/network-policy-api's policy-assistant) over the same small
// cluster model as the TypeScript evaluator of test/support/network-policy.ts, and prints the
// allowed flows in the same "source -> destination:port/protocol" form.
//
// Input (stdin, JSON): {"policies": [NetworkPolicy...], "namespaces": [{"name", "labels"}],
// "endpoints": [{"kind": "pod"|"address", "name", "namespace", "labels", "ip",
// "ports": [{"port", "protocol", "name"}]}]}. Unknown fields in policies are errors.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

type port struct {
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
	Name     string `json:"name"`
}

type endpoint struct {
	Kind      string            `json:"kind"`
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
	IP        string            `json:"ip"`
	Ports     []port            `json:"ports"`
}

type namespace struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
}

type input struct {
	Policies   []json.RawMessage `json:"policies"`
	Namespaces []namespace       `json:"namespaces"`
	Endpoints  []endpoint        `json:"endpoints"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail(err)
	}
	var policies []*networkingv1.NetworkPolicy
	for i, raw := range in.Policies {
		var p networkingv1.NetworkPolicy
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			fail(fmt.Errorf("policy %d: %w", i, err))
		}
		// What the API server's defaulting does before any network plugin sees the policy.
		if len(p.Spec.PolicyTypes) == 0 {
			p.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
			if len(p.Spec.Egress) > 0 {
				p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
			}
		}
		for r := range p.Spec.Ingress {
			defaultProtocols(p.Spec.Ingress[r].Ports)
		}
		for r := range p.Spec.Egress {
			defaultProtocols(p.Spec.Egress[r].Ports)
		}
		policies = append(policies, &p)
	}
	engine := matcher.BuildNetworkPolicies(false, policies)

	nsLabels := map[string]map[string]string{}
	for _, ns := range in.Namespaces {
		labels := map[string]string{"kubernetes.io/metadata.name": ns.Name}
		for k, v := range ns.Labels {
			labels[k] = v
		}
		nsLabels[ns.Name] = labels
	}
	peer := func(e endpoint) *matcher.TrafficPeer {
		if e.Kind != "pod" {
			return &matcher.TrafficPeer{IP: e.IP}
		}
		labels := e.Labels
		if labels == nil {
			labels = map[string]string{}
		}
		return &matcher.TrafficPeer{
			IP:       e.IP,
			Internal: &matcher.InternalPeer{PodLabels: labels, NamespaceLabels: nsLabels[e.Namespace], Namespace: e.Namespace},
		}
	}

	flows := []string{}
	for _, from := range in.Endpoints {
		for _, to := range in.Endpoints {
			if from.Name == to.Name {
				continue
			}
			for _, p := range to.Ports {
				protocol := p.Protocol
				if protocol == "" {
					protocol = "TCP"
				}
				name := ""
				if to.Kind == "pod" {
					name = p.Name
				}
				traffic := &matcher.Traffic{
					Source:           peer(from),
					Destination:      peer(to),
					ResolvedPort:     p.Port,
					ResolvedPortName: name,
					Protocol:         v1.Protocol(protocol),
				}
				if engine.IsTrafficAllowed(traffic).IsAllowed() {
					flows = append(flows, fmt.Sprintf("%s -> %s:%d/%s", from.Name, to.Name, p.Port, protocol))
				}
			}
		}
	}
	sort.Strings(flows)
	if err := json.NewEncoder(os.Stdout).Encode(flows); err != nil {
		fail(err)
	}
}

func defaultProtocols(ports []networkingv1.NetworkPolicyPort) {
	for i := range ports {
		if ports[i].Protocol == nil {
			tcp := v1.ProtocolTCP
			ports[i].Protocol = &tcp
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "network-policy-oracle:", err)
	os.Exit(1)
}
