package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const nodesConfig = `node: site1
ari: {app: sb, max_conns: 8}
nodes:
  - name: pbx-a
    url: http://10.0.0.1:8088/ari
    trunk: to-pbx-a
    user_env: PBX_A_USER
    password_env: PBX_A_PASSWORD
  - name: pbx-b
    url: https://10.0.0.2:8089/ari
    app: other
    trunk: to-pbx-b
    user_env: PBX_B_USER
    password_env: PBX_B_PASSWORD
    max_conns: 4
    down_after: 30s
    desk_endpoints: ["PJSIP/3*"]
queues: [{name: q}]
agents:
  - {id: a1, endpoint: PJSIP/1001, queues: [q]}
  - {id: b1, endpoint: PJSIP/2001, node: pbx-b, queues: [q]}
`

func TestLoadConfigNodes(t *testing.T) {
	c := loadConfigString(t, nodesConfig)
	want := []Node{
		{Name: "pbx-a", URL: "http://10.0.0.1:8088/ari", App: "sb", Trunk: "to-pbx-a", UserEnv: "PBX_A_USER", PasswordEnv: "PBX_A_PASSWORD", MaxConns: 8, DownAfter: 10 * time.Second},
		{Name: "pbx-b", URL: "https://10.0.0.2:8089/ari", App: "other", Trunk: "to-pbx-b", UserEnv: "PBX_B_USER", PasswordEnv: "PBX_B_PASSWORD", MaxConns: 4, DownAfter: 30 * time.Second, DeskEndpoints: []string{"PJSIP/3*"}},
	}
	if !reflect.DeepEqual(c.Nodes, want) {
		t.Fatalf("nodes:\n got %+v\nwant %+v", c.Nodes, want)
	}
	if c.Node != "site1" || c.NodeOf("a1") != "pbx-a" || c.NodeOf("b1") != "pbx-b" {
		t.Fatalf("node %q, a1 on %q, b1 on %q", c.Node, c.NodeOf("a1"), c.NodeOf("b1"))
	}
	env := map[string]string{"PBX_A_USER": "ua", "PBX_A_PASSWORD": "pa", "PBX_B_USER": "ub"}
	err := c.LoadEnv(func(k string) string { return env[k] })
	if err == nil || err.Error() != "environment: PBX_B_PASSWORD not set (the nodes' ARI credentials are never read from the config file)" {
		t.Fatalf("LoadEnv without PBX_B_PASSWORD: %v", err)
	}
	env["PBX_B_PASSWORD"] = "pb"
	if err := c.LoadEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.Nodes[0].User != "ua" || c.Nodes[1].Password != "pb" {
		t.Fatalf("credentials %+v", c.Nodes)
	}
}

// One node under nodes: is the ari: setting, with its credentials from its variables; an
// agent's phone need not be PJSIP then.
func TestLoadConfigOneNode(t *testing.T) {
	c := loadConfigString(t, `nodes:
  - {name: pbx, url: "http://h:8088/ari", app: x, user_env: U, password_env: P}
queues: [{name: q}]
agents: [{id: a1, endpoint: SIP/1001, queues: [q]}]
`)
	if err := c.LoadEnv(func(k string) string { return map[string]string{"U": "u", "P": "p"}[k] }); err != nil {
		t.Fatal(err)
	}
	if c.ARI.URL != "http://h:8088/ari" || c.ARI.App != "x" || c.ARI.User != "u" || c.ARI.Password != "p" || c.NodeOf("a1") != "pbx" {
		t.Fatalf("ari %+v", c.ARI)
	}
}

func TestLoadConfigNodesBad(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"both ari.url and nodes", `ari: {url: "http://h/ari"}
nodes: [{name: a, url: "http://a/ari", user_env: U, password_env: P}]
queues: [{name: q}]
`, []string{"sb.yaml:1: ari.url: nodes: names the Asterisk nodes; give each its url there, not ari.url"}},
		{"bad entries", `nodes:
  - name: "a b"
    url: ftp://x
    trunk: "t t"
    user_env: lower
    password_env: P
    user: me
    down_after: 0s
  - {name: b, url: "http://b/ari", user_env: U, password_env: P}
  - {name: b, url: "http://u:p@c/ari", trunk: t, password_env: P}
  - []
queues: [{name: q}]
`, []string{
			`sb.yaml:2: nodes[0].name: "a b" is not a node name (letters, digits, '_' and '-', starting with a letter or digit, at most 32)`,
			`sb.yaml:3: nodes[0].url: want an http:// or https:// URL like "http://127.0.0.1:8088/ari", got "ftp://x"`,
			`sb.yaml:4: nodes[0].trunk: "t t" is not a PJSIP endpoint name (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64)`,
			`sb.yaml:5: nodes[0].user_env: "lower" is not an environment variable name (A-Z, 0-9 and '_')`,
			`sb.yaml:7: nodes[0].user: credentials are read from the environment variables user_env and password_env name, never from the file`,
			`sb.yaml:8: nodes[0].down_after: must be positive, got 0s`,
			`sb.yaml:9: nodes[1]: trunk: is required with several nodes: the PJSIP endpoint on the other nodes that reaches this one (e.g. to-b)`,
			`sb.yaml:10: nodes[2].name: node "b" is listed twice (first at line 9)`,
			`sb.yaml:10: nodes[2].url: credentials are read from the environment variables user_env and password_env name, never from the file`,
			`sb.yaml:10: nodes[2]: missing required key "user_env"`,
			`sb.yaml:11: nodes[3]: want a mapping, got a list`,
		}},
		{"agents on nodes", `nodes:
  - {name: a, url: "http://a/ari", trunk: to-a, user_env: U, password_env: P}
  - {name: b, url: "http://b/ari", trunk: to-b, user_env: U, password_env: P}
queues: [{name: q}]
agents:
  - {id: x1, endpoint: SIP/1001, queues: [q]}
  - {id: x2, endpoint: PJSIP/1002@elsewhere, node: b, queues: [q]}
  - {id: x3, endpoint: PJSIP/1003, node: c, queues: [q]}
`, []string{
			`sb.yaml:6: agents[0].endpoint: with several nodes a phone must be a PJSIP endpoint of its node like "PJSIP/1001" (the other nodes reach it through the trunk), got "SIP/1001"`,
			`sb.yaml:7: agents[1].endpoint: with several nodes a phone must be a PJSIP endpoint of its node like "PJSIP/1001" (the other nodes reach it through the trunk), got "PJSIP/1002@elsewhere"`,
			`sb.yaml:8: agents[2].node: unknown node "c" (nodes: a, b)`,
		}},
		{"desk phones with several nodes", `nodes:
  - {name: a, url: "http://a/ari", trunk: to-a, user_env: U, password_env: P, desk_endpoints: ["PJSIP/3*", "SIP/4*", "PJSIP/5*@x", "nope"]}
  - {name: b, url: "http://b/ari", trunk: to-b, user_env: U, password_env: P}
desk_endpoints: ["PJSIP/9*"]
queues: [{name: q}]
`, []string{
			`sb.yaml:2: nodes[0].desk_endpoints[1]: with several nodes a desk phone is a PJSIP endpoint of its node like "PJSIP/2*" (the other nodes reach it through the trunk), got "SIP/4*"`,
			`sb.yaml:2: nodes[0].desk_endpoints[2]: with several nodes a desk phone is a PJSIP endpoint of its node like "PJSIP/2*" (the other nodes reach it through the trunk), got "PJSIP/5*@x"`,
			`sb.yaml:2: nodes[0].desk_endpoints[3]: "nope" is not a pattern like PJSIP/1* (technology/resource, * and ? as wildcards)`,
			`sb.yaml:4: desk_endpoints: with several nodes each desk phone is on a node: list the patterns under that node (nodes[].desk_endpoints)`,
		}},
		{"agent node without nodes", `queues: [{name: q}]
agents: [{id: x, endpoint: PJSIP/9, node: a, queues: [q]}]
`, []string{`sb.yaml:2: agents[0].node: node "a": there is no nodes: list (one Asterisk, under ari:)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(strings.NewReader(tc.in), "sb.yaml")
			if err == nil {
				t.Fatal("loaded")
			}
			got := strings.Split(err.Error(), "\n")
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// check-config -asterisk with several nodes: the shipped folder, with asterisk.conf's
// systemname, is node pbx-a of the nodes example; each way out of step is reported.
func TestCheckNodesAsterisk(t *testing.T) {
	f, err := os.Open(nodesExamplePath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(f, nodesExamplePath)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, old, new, want string
	}{
		{"shipped", "", "", "", ""},
		{"no systemname", "asterisk.conf", "systemname = pbx-a", "verbose = 3", `asterisk.conf: systemname "" is not a node of nodes: (pbx-a, pbx-b)`},
		{"other systemname", "asterisk.conf", "systemname = pbx-a", "systemname = pbx-c", `systemname "pbx-c" is not a node`},
		{"no trunk", "pjsip.conf", "[to-pbx-b](node-trunk)", "[to-pbx-x](node-trunk)", "node pbx-b's trunk to-pbx-b is not an endpoint"},
		{"no identify", "pjsip.conf", "type=identify\nendpoint=to-pbx-b", "type=identify\nendpoint=to-pbx-x", ""},
		{"no context", "extensions.conf", "[from-nodes]", "[from-other]", `enters context "from-nodes", which extensions.conf lacks`},
		{"stasis", "extensions.conf", "exten => _X.,1,NoOp(Agent leg from another node for ${EXTEN})", "exten => _X.,1,Stasis(switchboard,inbound,${EXTEN})", "[from-nodes] enters Stasis"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"asterisk.conf": "[options]\nsystemname = pbx-a\n"}
			for _, name := range []string{"pjsip.conf", "extensions.conf"} {
				b, err := os.ReadFile(filepath.Join(asteriskDir, name))
				if err != nil {
					t.Fatal(err)
				}
				files[name] = string(b)
			}
			if tc.file != "" {
				if !strings.Contains(files[tc.file], tc.old) {
					t.Fatalf("%s has no %q", tc.file, tc.old)
				}
				files[tc.file] = strings.Replace(files[tc.file], tc.old, tc.new, 1)
			}
			for name, text := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			for _, err := range CheckNodesAsterisk(c, dir) {
				got = append(got, err.Error())
			}
			all := strings.Join(got, "\n")
			switch {
			case tc.name == "no identify":
				if !strings.Contains(all, "trunk to-pbx-b lacks its aor or identify section") {
					t.Errorf("got %q", got)
				}
			case tc.want == "" && len(got) > 0, tc.want != "" && !strings.Contains(all, tc.want):
				t.Errorf("got %q, want one with %q", got, tc.want)
			}
		})
	}
	if errs := CheckNodesAsterisk(loadExample(t), t.TempDir()); errs != nil {
		t.Errorf("one node: %v", errs)
	}
}
