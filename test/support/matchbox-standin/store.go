package main

// The data model of Matchbox v0.11.0 (github.com/poseidon/matchbox, tag
// v0.11.0) and how terraform-provider-matchbox v0.5.4 fills it. Only facts
// are taken from those sources; the code is this stand-in's own.
//
// Terraform's evaluated matchbox_profile / matchbox_group resources become
// the files Matchbox's file store would hold after the provider's gRPC calls
// (profiles/<id>.json, groups/<id>.json, generic/<name>), and every HTTP
// request reads them back the way Matchbox reads them (re-parsing the group
// files on each request, as matchbox/storage/filestore.go GroupList does).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// ---------------------------------------------------------------------------
// Matchbox's stored types (matchbox/storage/storagepb/storage.pb.go @v0.11.0:
// the JSON names and omitempty of the protobuf structs).

// NetBoot is storagepb.NetBoot. The field names matter: the iPXE template
// (matchbox/http/ipxe.go) reads .Kernel, .Initrd and .Args.
type NetBoot struct {
	Kernel string   `json:"kernel,omitempty"`
	Initrd []string `json:"initrd,omitempty"`
	Args   []string `json:"args,omitempty"`
}

// Profile is storagepb.Profile.
type Profile struct {
	Id         string   `json:"id,omitempty"`
	Name       string   `json:"name,omitempty"`
	IgnitionId string   `json:"ignition_id,omitempty"`
	CloudId    string   `json:"cloud_id,omitempty"`
	Boot       *NetBoot `json:"boot,omitempty"`
	GenericId  string   `json:"generic_id,omitempty"`
}

// Group is storagepb.Group: Metadata is raw JSON bytes.
type Group struct {
	Id       string
	Name     string
	Profile  string
	Selector map[string]string
	Metadata []byte
}

// richGroup is storagepb.RichGroup (storagepb/group.go:139-150), the form
// the file store writes and reads.
type richGroup struct {
	Id       string                 `json:"id,omitempty"`
	Name     string                 `json:"name,omitempty"`
	Profile  string                 `json:"profile,omitempty"`
	Selector map[string]string      `json:"selector,omitempty"`
	Metadata map[string]interface{} `json:"metadata,omitempty"`
}

// toGroup: storagepb/group.go:154-170 (RichGroup.ToGroup): metadata is
// JSON-marshalled when the map is non-nil (an empty map gives "{}").
func (rg *richGroup) toGroup() (*Group, error) {
	var metadata []byte
	if rg.Metadata != nil {
		var err error
		if metadata, err = json.Marshal(rg.Metadata); err != nil {
			return nil, err
		}
	}
	return &Group{Id: rg.Id, Name: rg.Name, Profile: rg.Profile, Selector: rg.Selector, Metadata: metadata}, nil
}

// toRichGroup: storagepb/group.go:100-115 (Group.ToRichGroup).
func (g *Group) toRichGroup() (*richGroup, error) {
	metadata := make(map[string]interface{})
	if g.Metadata != nil {
		if err := json.Unmarshal(g.Metadata, &metadata); err != nil {
			return nil, err
		}
	}
	return &richGroup{Id: g.Id, Name: g.Name, Profile: g.Profile, Selector: g.Selector, Metadata: metadata}, nil
}

// normalize: storagepb/group.go:59-72 (Group.Normalize). A selector whose key
// is "mac" in any case must parse with net.ParseMAC and is rewritten to the
// lowercase colon form under its original key; otherwise the group fails to
// parse (and GroupList skips it, see fileStore.groupList).
func (g *Group) normalize() error {
	for key, val := range g.Selector {
		if strings.ToLower(key) == "mac" {
			hw, err := net.ParseMAC(val)
			if err != nil {
				return err
			}
			g.Selector[key] = hw.String()
		}
	}
	return nil
}

// matches: storagepb/group.go:48-55 (Group.Matches): every selector pair must
// equal the label of the same (case-sensitive) key. No selectors: matches all.
func (g *Group) matches(labels map[string]string) bool {
	for key, val := range g.Selector {
		if labels == nil || labels[key] != val {
			return false
		}
	}
	return true
}

// selectorString: storagepb/group.go:88-96: sorted "k=v" pairs joined by ",".
func (g *Group) selectorString() string {
	reqs := make([]string, 0, len(g.Selector))
	for k, v := range g.Selector {
		reqs = append(reqs, k+"="+v)
	}
	sort.Strings(reqs)
	return strings.Join(reqs, ",")
}

// byReqs: storagepb/group.go:121-136 (ByReqs): fewer selectors first, ties by
// selectorString. SelectGroup sorts with sort.Reverse of it.
type byReqs []*Group

func (g byReqs) Len() int      { return len(g) }
func (g byReqs) Swap(i, j int) { g[i], g[j] = g[j], g[i] }
func (g byReqs) Less(i, j int) bool {
	if len(g[i].Selector) == len(g[j].Selector) {
		return g[i].selectorString() < g[j].selectorString()
	}
	return len(g[i].Selector) < len(g[j].Selector)
}

// parseGroup: storagepb/group.go:16-30 (ParseGroup): RichGroup JSON →
// Group → Normalize.
func parseGroup(data []byte) (*Group, error) {
	rg := new(richGroup)
	if err := json.Unmarshal(data, rg); err != nil {
		return nil, err
	}
	g, err := rg.toGroup()
	if err != nil {
		return nil, err
	}
	if err := g.normalize(); err != nil {
		return nil, err
	}
	return g, nil
}

var (
	errIdRequired               = errors.New("Id is required")                 // storagepb/profile.go:9
	errProfileRequired          = errors.New("Group requires a Profile")       // storagepb/group.go:12
	errInvalidFilePathCharacter = errors.New("invalid character in file path") // storage/fs.go:15
	errNoMatchingGroup          = errors.New("matchbox: No matching Group")    // server/server.go:16
	errNoMatchingProfile        = errors.New("matchbox: No matching Profile")  // server/server.go:17
)

// ---------------------------------------------------------------------------
// The file store (matchbox/storage/filestore.go, storage/fs.go @v0.11.0),
// kept in memory: a map from the cleaned relative path to the file bytes.

type fileStore struct {
	files map[string][]byte
}

// sanitize: storage/fs.go:69-79 (Dir.sanitize), relative to the data root.
func sanitize(name string) (string, error) {
	if strings.Contains(name, "\x00") {
		return "", errInvalidFilePathCharacter
	}
	return strings.TrimPrefix(path.Clean("/"+name), "/"), nil
}

func (s *fileStore) readFile(name string) ([]byte, error) {
	p, err := sanitize(name)
	if err != nil {
		return nil, err
	}
	if data, ok := s.files[p]; ok {
		return data, nil
	}
	if s.isDir(p) {
		return nil, fmt.Errorf("read %s: is a directory", p)
	}
	return nil, fmt.Errorf("open %s: %w", p, os.ErrNotExist)
}

func (s *fileStore) isDir(p string) bool {
	if p == "" {
		return true
	}
	for f := range s.files {
		if strings.HasPrefix(f, p+"/") {
			return true
		}
	}
	return false
}

// writeFile: storage/fs.go:46-56 (parents are created as needed). The
// stand-in refuses to overwrite: two Terraform resources writing the same
// Matchbox file is a configuration error whose outcome depends on apply order.
func (s *fileStore) writeFile(name string, data []byte) error {
	p, err := sanitize(name)
	if err != nil {
		return err
	}
	if p == "" || s.isDir(p) {
		return fmt.Errorf("%s is a directory", p)
	}
	if _, dup := s.files[p]; dup {
		return fmt.Errorf("two resources would both be stored as Matchbox file %s (the later apply would overwrite the earlier)", p)
	}
	// a parent that is a file (e.g. groups/a.json and groups/a.json/b.json)
	for dir := path.Dir(p); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if _, ok := s.files[dir]; ok {
			return fmt.Errorf("Matchbox file %s: parent %s is a file", p, dir)
		}
	}
	s.files[p] = data
	return nil
}

// readDir: like os.ReadDir (storage/fs.go:36-42): the names of the direct
// entries of a directory, sorted by name.
func (s *fileStore) readDir(dir string) ([]string, error) {
	p, err := sanitize(dir)
	if err != nil {
		return nil, err
	}
	if !s.isDir(p) {
		return nil, fmt.Errorf("open %s: %w", p, os.ErrNotExist)
	}
	seen := map[string]bool{}
	var names []string
	for f := range s.files {
		if rest := strings.TrimPrefix(f, p+"/"); rest != f {
			first := strings.SplitN(rest, "/", 2)[0]
			if !seen[first] {
				seen[first] = true
				names = append(names, first)
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// groupPut: filestore.go:34-44: ToRichGroup, MarshalIndent, groups/<id>.json.
// (Matchbox's server.GroupPut first checks AssertValid, server.go:80-89 and
// storagepb/group.go:76-84; it does not normalize on write.)
func (s *fileStore) groupPut(g *Group) error {
	if g.Id == "" {
		return errIdRequired
	}
	if g.Profile == "" {
		return errProfileRequired
	}
	rg, err := g.toRichGroup()
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(rg, "", "\t")
	if err != nil {
		return err
	}
	return s.writeFile(filepath.Join("groups", g.Id+".json"), data)
}

// groupGet: filestore.go:47-57.
func (s *fileStore) groupGet(id string) (*Group, error) {
	data, err := s.readFile(filepath.Join("groups", id+".json"))
	if err != nil {
		return nil, err
	}
	return parseGroup(data)
}

// groupList: filestore.go:65-81: every entry of groups/ in name order, its
// extension trimmed, read with GroupGet; a group that fails to read or parse
// (e.g. an unparseable selector MAC) is skipped (logged at info).
func (s *fileStore) groupList() ([]*Group, error) {
	names, err := s.readDir("groups")
	if err != nil {
		return nil, err
	}
	groups := make([]*Group, 0, len(names))
	for _, fname := range names {
		id := strings.TrimSuffix(fname, filepath.Ext(fname))
		g, err := s.groupGet(id)
		if err != nil {
			logf("info", "Group %q: %v", id, err)
			continue
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// profilePut: filestore.go:84-90 after server.ProfilePut's AssertValid
// (server.go:111-120, storagepb/profile.go:21-27).
func (s *fileStore) profilePut(p *Profile) error {
	if p.Id == "" {
		return errIdRequired
	}
	data, err := json.MarshalIndent(p, "", "\t")
	if err != nil {
		return err
	}
	return s.writeFile(filepath.Join("profiles", p.Id+".json"), data)
}

// profileGet: filestore.go:93-107 and server.go:122-131 (both AssertValid).
func (s *fileStore) profileGet(id string) (*Profile, error) {
	data, err := s.readFile(filepath.Join("profiles", id+".json"))
	if err != nil {
		return nil, err
	}
	p := new(Profile)
	if err := json.Unmarshal(data, p); err != nil {
		return nil, err
	}
	if p.Id == "" {
		return nil, errIdRequired
	}
	return p, nil
}

// genericPut / genericGet: filestore.go:150-158: generic/<name>, raw bytes.
// An empty name reads the directory "generic" itself, which fails.
func (s *fileStore) genericPut(name string, config []byte) error {
	return s.writeFile(filepath.Join("generic", name), config)
}

func (s *fileStore) genericGet(name string) (string, error) {
	data, err := s.readFile(filepath.Join("generic", name))
	return string(data), err
}

func (s *fileStore) ignitionPut(name string, config []byte) error {
	return s.writeFile(filepath.Join("ignition", name), config)
}

// selectGroup: matchbox/server/server.go:148-160 (SelectGroup): list, sort
// by sort.Reverse(ByReqs) — most selector pairs first, ties by the sorted
// "k=v,..." string in reverse — and take the first that matches.
func (s *fileStore) selectGroup(labels map[string]string) (*Group, error) {
	groups, err := s.groupList()
	if err != nil {
		return nil, err
	}
	sort.Sort(sort.Reverse(byReqs(groups)))
	for _, g := range groups {
		if g.matches(labels) {
			return g, nil
		}
	}
	return nil, errNoMatchingGroup
}

// selectProfile: server.go:162-173 (SelectProfile): the selected group's
// profile by id; a missing/invalid profile is ErrNoMatchingProfile.
func (s *fileStore) selectProfile(labels map[string]string) (*Group, *Profile, error) {
	g, err := s.selectGroup(labels)
	if err != nil {
		return nil, nil, errNoMatchingGroup
	}
	p, err := s.profileGet(g.Profile)
	if err != nil {
		return g, nil, errNoMatchingProfile
	}
	return g, p, nil
}

// ---------------------------------------------------------------------------
// The input: Terraform's evaluated matchbox_profile / matchbox_group
// resources, and what terraform-provider-matchbox v0.5.4 makes of them.

type inputStore struct {
	Profiles []map[string]json.RawMessage `json:"profiles"`
	Groups   []map[string]json.RawMessage `json:"groups"`
}

var profileKeys = map[string]bool{"name": true, "kernel": true, "initrd": true, "args": true, "generic_config": true, "container_linux_config": true, "raw_ignition": true, "id": true}
var groupKeys = map[string]bool{"name": true, "profile": true, "selector": true, "metadata": true, "id": true}

func checkKeys(obj map[string]json.RawMessage, allowed map[string]bool, where string) error {
	var unknown []string
	for k := range obj {
		if !allowed[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("%s: unknown attribute(s) %s (matchbox provider v0.5.4 has no such argument)", where, strings.Join(unknown, ", "))
	}
	return nil
}

// optString: absent or null → "", ok=false (Terraform's unset Optional).
func optString(obj map[string]json.RawMessage, key, where string) (string, bool, error) {
	raw, ok := obj[key]
	if !ok || string(raw) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fmt.Errorf("%s: %q must be a string or null, got %s", where, key, truncate(raw))
	}
	return s, true, nil
}

func optStringList(obj map[string]json.RawMessage, key, where string) ([]string, error) {
	raw, ok := obj[key]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var list []*string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%s: %q must be a list of strings or null, got %s", where, key, truncate(raw))
	}
	out := make([]string, 0, len(list))
	for i, s := range list {
		if s == nil {
			return nil, fmt.Errorf("%s: %q[%d] is null (Terraform list(string) elements cannot be null)", where, key, i)
		}
		out = append(out, *s)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func optStringMap(obj map[string]json.RawMessage, key, where string) (map[string]string, error) {
	out := map[string]string{}
	raw, ok := obj[key]
	if !ok || string(raw) == "null" {
		return out, nil
	}
	var m map[string]*string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %q must be a map of strings (Terraform map(string)) or null, got %s", where, key, truncate(raw))
	}
	for k, v := range m {
		if v == nil {
			return nil, fmt.Errorf("%s: %q.%s is null (Terraform map(string) elements cannot be null)", where, key, k)
		}
		out[k] = *v
	}
	return out, nil
}

func truncate(raw json.RawMessage) string {
	s := string(raw)
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

// loadStore reads the input file and stores its resources as the provider
// would. Any error is a bad store (the caller exits 2).
func loadStore(file string) (*fileStore, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var in inputStore
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("not a store JSON object {\"profiles\": [...], \"groups\": [...]}: %v", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	if in.Profiles == nil && in.Groups == nil {
		return nil, errors.New(`neither "profiles" nor "groups" is given`)
	}
	s := &fileStore{files: map[string][]byte{}}
	for i, obj := range in.Profiles {
		if err := putProfile(s, obj, fmt.Sprintf("profiles[%d]", i)); err != nil {
			return nil, err
		}
	}
	for i, obj := range in.Groups {
		if err := putGroup(s, obj, fmt.Sprintf("groups[%d]", i)); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// namedResource checks one store entry (not null, only the provider's
// attributes, a non-empty name, which the provider uses as the Matchbox id)
// and returns the name and the location to use in later messages.
func namedResource(obj map[string]json.RawMessage, allowed map[string]bool, where string) (string, string, error) {
	if obj == nil {
		return "", where, fmt.Errorf("%s: is null", where)
	}
	if err := checkKeys(obj, allowed, where); err != nil {
		return "", where, err
	}
	name, _, err := optString(obj, "name", where)
	if err != nil {
		return "", where, err
	}
	if name == "" {
		return "", where, fmt.Errorf("%s: \"name\" is required", where)
	}
	return name, fmt.Sprintf("%s (%q)", where, name), nil
}

// putProfile: terraform-provider-matchbox v0.5.4 matchbox/resource_profile.go
// resourceProfileCreate (lines 71-138): Id = name (Name stays empty), Boot is
// always set, GenericId = name only when generic_config is non-empty
// (genericConfig uses d.GetOk, which is false for ""), and the generic config
// is written as generic/<name> only then (GenericPut). container_linux_config
// → ignition/<name>.yaml.tmpl, raw_ignition → ignition/<name>.ign, mutually
// exclusive (validateResourceProfile).
func putProfile(s *fileStore, obj map[string]json.RawMessage, where string) error {
	name, where, err := namedResource(obj, profileKeys, where)
	if err != nil {
		return err
	}
	kernel, _, err := optString(obj, "kernel", where)
	if err != nil {
		return err
	}
	initrd, err := optStringList(obj, "initrd", where)
	if err != nil {
		return err
	}
	args, err := optStringList(obj, "args", where)
	if err != nil {
		return err
	}
	generic, _, err := optString(obj, "generic_config", where)
	if err != nil {
		return err
	}
	clc, _, err := optString(obj, "container_linux_config", where)
	if err != nil {
		return err
	}
	raw, _, err := optString(obj, "raw_ignition", where)
	if err != nil {
		return err
	}
	if clc != "" && raw != "" {
		return fmt.Errorf("%s: container_linux_config and raw_ignition are mutually exclusive", where)
	}
	p := &Profile{Id: name, Boot: &NetBoot{Kernel: kernel, Initrd: initrd, Args: args}}
	ignitionName := ""
	switch {
	case clc != "":
		ignitionName = name + ".yaml.tmpl"
	case raw != "":
		ignitionName = name + ".ign"
	}
	p.IgnitionId = ignitionName
	if generic != "" {
		p.GenericId = name
	}
	if err := s.profilePut(p); err != nil {
		return fmt.Errorf("%s: %v", where, err)
	}
	if ignitionName != "" {
		content := clc
		if raw != "" {
			content = raw
		}
		if err := s.ignitionPut(ignitionName, []byte(content)); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
	}
	if generic != "" {
		if err := s.genericPut(name, []byte(generic)); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
	}
	return nil
}

// putGroup: terraform-provider-matchbox v0.5.4 matchbox/resource_group.go
// resourceGroupCreate (lines 48-79): RichGroup{Id: name, Profile, Selector,
// Metadata: the map(string) as map[string]interface{}} → ToGroup (metadata
// JSON-marshalled) → GroupPut (server.GroupPut: AssertValid, then the file
// store writes it back as a RichGroup; no MAC normalization on write).
func putGroup(s *fileStore, obj map[string]json.RawMessage, where string) error {
	name, where, err := namedResource(obj, groupKeys, where)
	if err != nil {
		return err
	}
	profile, _, err := optString(obj, "profile", where)
	if err != nil {
		return err
	}
	if profile == "" {
		return fmt.Errorf("%s: \"profile\" is required", where)
	}
	selector, err := optStringMap(obj, "selector", where)
	if err != nil {
		return err
	}
	metaStrings, err := optStringMap(obj, "metadata", where)
	if err != nil {
		return err
	}
	metadata := make(map[string]interface{}, len(metaStrings))
	for k, v := range metaStrings {
		metadata[k] = v
	}
	rg := &richGroup{Id: name, Profile: profile, Selector: selector, Metadata: metadata}
	g, err := rg.toGroup()
	if err != nil {
		return fmt.Errorf("%s: %v", where, err)
	}
	if err := s.groupPut(g); err != nil {
		return fmt.Errorf("%s: %v", where, err)
	}
	// Matchbox accepts a group whose selector MAC does not parse, and then
	// skips it on every read (storagepb/group.go Normalize via ParseGroup,
	// filestore.go GroupList). Say so, since it can never match.
	for k, v := range selector {
		if strings.ToLower(k) == "mac" {
			if _, err := net.ParseMAC(v); err != nil {
				logf("warning", "group %q: selector %s=%q does not parse (%v): Matchbox stores it but skips this group on every request", name, k, v, err)
			}
		}
	}
	return nil
}
