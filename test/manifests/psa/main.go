// Command psa evaluates every pod template in the given multi-document YAML
// files against the Pod Security Standards "restricted" profile (latest),
// using the upstream k8s.io/pod-security-admission checks, the same code the
// PodSecurity admission plugin runs in the API server.
//
// Usage: psa FILE...
// Exit status: 0 all pod templates pass, 1 violations, 2 usage/parse errors.
//
// Usage: psa -yaml-to-json FILE
// prints each non-empty document of FILE as one line of JSON, converted the way
// the Kubernetes clients and API machinery read YAML (sigs.k8s.io/yaml), so that
// check.sh can compare that reading with a YAML 1.2 one.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

type podTemplate struct {
	meta *metav1.ObjectMeta
	spec *corev1.PodSpec
}

// workloadKinds are the kinds whose pod template is evaluated, keyed by
// apiVersion/kind. A workload kind with any other apiVersion is an error, so
// nothing slips through unchecked.
var workloadKinds = map[string]func([]byte) (string, podTemplate, error){
	"v1/Pod": func(b []byte) (string, podTemplate, error) {
		var o corev1.Pod
		err := yaml.UnmarshalStrict(b, &o)
		return o.Name, podTemplate{&o.ObjectMeta, &o.Spec}, err
	},
	"apps/v1/StatefulSet": func(b []byte) (string, podTemplate, error) {
		var o appsv1.StatefulSet
		err := yaml.UnmarshalStrict(b, &o)
		return o.Name, podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec}, err
	},
	"apps/v1/Deployment": func(b []byte) (string, podTemplate, error) {
		var o appsv1.Deployment
		err := yaml.UnmarshalStrict(b, &o)
		return o.Name, podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec}, err
	},
	"apps/v1/DaemonSet": func(b []byte) (string, podTemplate, error) {
		var o appsv1.DaemonSet
		err := yaml.UnmarshalStrict(b, &o)
		return o.Name, podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec}, err
	},
	"apps/v1/ReplicaSet": func(b []byte) (string, podTemplate, error) {
		var o appsv1.ReplicaSet
		err := yaml.UnmarshalStrict(b, &o)
		return o.Name, podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec}, err
	},
	"batch/v1/Job": func(b []byte) (string, podTemplate, error) {
		var o batchv1.Job
		err := yaml.UnmarshalStrict(b, &o)
		return o.Name, podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec}, err
	},
	"batch/v1/CronJob": func(b []byte) (string, podTemplate, error) {
		var o batchv1.CronJob
		err := yaml.UnmarshalStrict(b, &o)
		t := &o.Spec.JobTemplate.Spec.Template
		return o.Name, podTemplate{&t.ObjectMeta, &t.Spec}, err
	},
}

var workloadKindNames = map[string]bool{
	"Pod": true, "StatefulSet": true, "Deployment": true, "DaemonSet": true,
	"ReplicaSet": true, "Job": true, "CronJob": true,
	// Also refuse pod-bearing kinds we cannot evaluate, rather than skip them.
	"ReplicationController": true, "PodTemplate": true,
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: psa FILE...")
		os.Exit(2)
	}
	if os.Args[1] == "-yaml-to-json" {
		os.Exit(yamlToJSON(os.Args[2:]))
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "psa: cannot build evaluator:", err)
		os.Exit(2)
	}
	level := api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}
	fmt.Printf("Pod Security Standards: level=%s version=%s (k8s.io/pod-security-admission)\n", level.Level, level.Version.String())

	failed, broken := 0, 0
	for _, file := range os.Args[1:] {
		docs, err := readDocs(file)
		if err != nil {
			fmt.Printf("ERROR %s: %v\n", file, err)
			broken++
			continue
		}
		checked, bad := 0, 0
		for i, doc := range docs {
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					Name      string `json:"name"`
					Namespace string `json:"namespace"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal(doc, &head); err != nil {
				fmt.Printf("ERROR %s: document %d: %v\n", file, i+1, err)
				broken++
				continue
			}
			if head.Kind == "" && head.APIVersion == "" {
				continue // empty document
			}
			id := fmt.Sprintf("%s/%s", head.Kind, head.Metadata.Name)
			decode, ok := workloadKinds[head.APIVersion+"/"+head.Kind]
			if !ok {
				if workloadKindNames[head.Kind] {
					fmt.Printf("ERROR %s: %s: apiVersion %q of a pod-bearing kind is not supported by this checker\n", file, id, head.APIVersion)
					broken++
				}
				continue
			}
			_, tmpl, err := decode(doc)
			if err != nil {
				fmt.Printf("ERROR %s: %s: cannot decode: %v\n", file, id, err)
				broken++
				continue
			}
			checked++
			results := evaluator.EvaluatePod(level, tmpl.meta, tmpl.spec)
			for _, r := range results {
				if r.Allowed {
					continue
				}
				bad++
				fmt.Printf("FAIL %s: %s: %s: %s\n", file, id, r.ForbiddenReason, r.ForbiddenDetail)
			}
		}
		fmt.Printf("%s: %d pod template(s) evaluated, %d violation(s)\n", file, checked, bad)
		failed += bad
	}
	if broken > 0 {
		fmt.Printf("psa: %d error(s) reading input\n", broken)
		os.Exit(2)
	}
	if failed > 0 {
		fmt.Printf("psa: %d violation(s) of restricted:%s\n", failed, level.Version.String())
		os.Exit(1)
	}
}

func yamlToJSON(files []string) int {
	if len(files) != 1 {
		fmt.Fprintln(os.Stderr, "usage: psa -yaml-to-json FILE")
		return 2
	}
	docs, err := readDocs(files[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", files[0], err)
		return 2
	}
	for i, d := range docs {
		j, err := yaml.YAMLToJSON(d)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: document %d: %v\n", files[0], i+1, err)
			return 2
		}
		fmt.Println(string(j))
	}
	return 0
}

func readDocs(file string) ([][]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var docs [][]byte
	for {
		d, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(d)) == 0 || strings.TrimSpace(string(d)) == "---" {
			continue
		}
		docs = append(docs, d)
	}
}
