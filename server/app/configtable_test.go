package app

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// README.md's configuration tables and Settings (what --help prints) name
// the same variables, and FromEnv reads none that Settings leaves out.
func TestSettingsMatchREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile("`(PARLEY_[A-Z0-9_]+|DATABASE_URL)`")
	inREADME := map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.Split(line, "|")[1] // the setting column
		for _, m := range name.FindAllStringSubmatch(first, -1) {
			inREADME[m[1]] = true
		}
	}
	inSettings := map[string]bool{}
	for _, s := range Settings {
		inSettings[s.Env] = true
		if !inREADME[s.Env] {
			t.Errorf("%s is in Settings but not in README.md's configuration table", s.Env)
		}
		if s.Default == "" || s.Meaning == "" {
			t.Errorf("%s: a setting needs a default and a meaning", s.Env)
		}
	}
	for env := range inREADME {
		if !inSettings[env] {
			t.Errorf("%s is in README.md's configuration table but not in Settings (configtable.go)", env)
		}
	}
	var read []string
	_, _ = FromEnv(func(k string) string { read = append(read, k); return "" })
	for _, k := range read {
		if !inSettings[k] {
			t.Errorf("FromEnv reads %s, which Settings does not list", k)
		}
	}
	if !slices.Contains(read, "PARLEY_DEBUG_ADDR") {
		t.Error("FromEnv does not read PARLEY_DEBUG_ADDR")
	}
}
