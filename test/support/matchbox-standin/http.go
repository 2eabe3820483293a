package main

// Matchbox v0.11.0's plain-HTTP side (github.com/poseidon/matchbox, tag
// v0.11.0, matchbox/http/*.go), for the endpoints a network-booting machine
// uses: /, /boot.ipxe, /boot.ipxe.0, /ipxe, /generic and /assets/. Other
// Matchbox endpoints (/grub, /ignition, /cloud, /metadata, signatures) are
// not served: they fall through to "/" and get 404.
//
// Matchbox v0.11.0's image is built with golang:1.22.1 (Dockerfile) but its
// go.mod says "go 1.19", so Go 1.22 keeps the pre-1.22 ServeMux behaviour
// (GODEBUG httpmuxgo121=1 for modules older than go 1.21); this stand-in is
// built with Go 1.19's net/http and text/template.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"text/template"
	"time"
)

// ipxeBootstrap: matchbox/http/ipxe.go:12-14 @v0.11.0 (includes the
// &arch=${buildarch:uristring} part).
const ipxeBootstrap = `#!ipxe
chain ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain}&hostname=${hostname}&serial=${serial}&arch=${buildarch:uristring}
`

// ipxeTemplate: matchbox/http/ipxe.go:16-22 @v0.11.0, executed over
// profile.Boot (a *NetBoot). No escaping: ${...} in args stays literal.
var ipxeTemplate = template.Must(template.New("iPXE config").Parse(`#!ipxe
kernel {{.Kernel}}{{range $arg := .Args}} {{$arg}}{{end}}
{{- range $element := .Initrd }}
initrd {{$element}}
{{- end}}
boot
`))

type server struct {
	store      *fileStore
	assetsPath string
}

// handler: matchbox/http/server.go:44-99 (HTTPHandler), the same
// http.ServeMux patterns. Matchbox checks no HTTP method anywhere: every
// method gets the same answer (Go's server drops the body of HEAD answers).
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", homeHandler())
	mux.Handle("/boot.ipxe", ipxeInspect())
	mux.Handle("/boot.ipxe.0", ipxeInspect())
	mux.Handle("/ipxe", s.selectProfile(s.ipxeHandler()))
	mux.Handle("/generic", s.selectGroup(s.genericHandler()))
	// server.go:96-98: only when -assets-path is not "".
	if s.assetsPath != "" {
		mux.Handle("/assets/", http.StripPrefix("/assets/", http.FileServer(http.Dir(s.assetsPath))))
	}
	return logRequests(mux)
}

// homeHandler: matchbox/http/handlers.go:13-22: "matchbox\n" for exactly
// "/", http.NotFound ("404 page not found\n") for every other unrouted path.
// Content types are never set by Matchbox for these text answers: Go's
// server sniffs them (text/plain; charset=utf-8).
func homeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/" {
			http.NotFound(w, req)
			return
		}
		fmt.Fprintf(w, "matchbox\n")
	})
}

// ipxeInspect: matchbox/http/ipxe.go:26-31.
func ipxeInspect() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		fmt.Fprint(w, ipxeBootstrap)
	})
}

// labelsFromRequest: matchbox/http/parse.go:38-60. Every query parameter,
// its first value only (url.Values.Get). A key equal to "mac" in any case
// is kept under its original spelling only if net.ParseMAC accepts the
// value, then in the lowercase colon form (HardwareAddr.String); an
// unparseable MAC is dropped (with a warning when a logger is given).
func labelsFromRequest(warn bool, req *http.Request) map[string]string {
	values := req.URL.Query()
	labels := map[string]string{}
	for key := range values {
		switch strings.ToLower(key) {
		case "mac":
			if hw, err := net.ParseMAC(values.Get(key)); err == nil {
				labels[key] = hw.String()
			} else if warn {
				logf("warning", "ignoring unparseable MAC address %q: %v", values.Get(key), err)
			}
		default:
			labels[key] = values.Get(key)
		}
	}
	return labels
}

// collectVariables: matchbox/http/parse.go:17-35. The group's metadata JSON
// is decoded into the map first, then every selector is set under its
// lowercased key (over metadata of the same name), then "request" is set to
// {"query": labelsFromRequest (map[string]string), "raw_query": the raw
// query string} (over any metadata "request").
func collectVariables(req *http.Request, g *Group) (map[string]interface{}, error) {
	data := make(map[string]interface{})
	data["request"] = make(map[string]interface{})
	if g.Metadata != nil {
		if err := jsonUnmarshal(g.Metadata, &data); err != nil {
			return nil, err
		}
	}
	for key, value := range g.Selector {
		data[strings.ToLower(key)] = value
	}
	data["request"] = map[string]interface{}{
		"query":     labelsFromRequest(false, req),
		"raw_query": req.URL.RawQuery,
	}
	return data, nil
}

// renderTemplate: matchbox/http/render.go:37-52: text/template.New("") with
// Option("missingkey=error") and no FuncMap (v0.11.0 registers no extra
// functions: only text/template's builtins exist).
func renderTemplate(w *bytes.Buffer, data interface{}, contents ...string) (err error) {
	tmpl := template.New("").Option("missingkey=error")
	for _, content := range contents {
		tmpl, err = tmpl.Parse(content)
		if err != nil {
			logf("error", "error parsing template: %v", err)
			return err
		}
	}
	if err = tmpl.Execute(w, data); err != nil {
		logf("error", "error rendering template: %v", err)
		return err
	}
	return nil
}

// The request-scoped context (matchbox/http/context.go) carries the
// selected group / profile from selectGroup / selectProfile to the handler.
type ctxKey int

const (
	profileKey ctxKey = iota
	groupKey
	recordKey
)

// selectGroup: matchbox/http/handlers.go:36-49.
func (s *server) selectGroup(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		labels := labelsFromRequest(true, req)
		rec := recordOf(req)
		rec.Labels = &labels
		if g, err := s.store.selectGroup(labels); err == nil {
			rec.Group = g.Id
			ctx = context.WithValue(ctx, groupKey, g)
		}
		next.ServeHTTP(w, req.WithContext(ctx))
	})
}

// selectProfile: matchbox/http/handlers.go:54-67 with server.SelectProfile.
func (s *server) selectProfile(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		labels := labelsFromRequest(true, req)
		rec := recordOf(req)
		rec.Labels = &labels
		g, p, err := s.store.selectProfile(labels)
		if g != nil {
			rec.Group = g.Id
		}
		if err == nil {
			rec.Profile = p.Id
			ctx = context.WithValue(ctx, profileKey, p)
		}
		next.ServeHTTP(w, req.WithContext(ctx))
	})
}

// ipxeHandler: matchbox/http/ipxe.go:35-66. No profile → http.NotFound; the
// template over profile.Boot (a nil Boot makes it fail) → http.NotFound on
// error; else the rendered script.
func (s *server) ipxeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		p, ok := req.Context().Value(profileKey).(*Profile)
		if !ok {
			logf("info", "No matching profile")
			http.NotFound(w, req)
			return
		}
		var buf bytes.Buffer
		if err := ipxeTemplate.Execute(&buf, p.Boot); err != nil {
			logf("error", "error rendering template: %v", err)
			http.NotFound(w, req)
			return
		}
		if _, err := buf.WriteTo(w); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
}

// genericHandler: matchbox/http/generic.go:17-77. Each failure — no group,
// the group's profile missing, no generic template (a profile without
// generic_config has generic_id "", and reading "generic/" fails), a
// metadata decode error, a template parse or execution error (e.g.
// missingkey=error, an undefined function) — answers http.NotFound:
// 404 "404 page not found\n". Success: http.ServeContent with name "" and a
// zero modtime (content type sniffed, Range and HEAD handled, no
// Last-Modified).
func (s *server) genericHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		g, ok := req.Context().Value(groupKey).(*Group)
		if !ok {
			logf("info", "No matching group")
			http.NotFound(w, req)
			return
		}
		rec := recordOf(req)
		p, err := s.store.profileGet(g.Profile)
		if err != nil {
			logf("info", "No profile named: %s", g.Profile)
			http.NotFound(w, req)
			return
		}
		rec.Profile = p.Id
		contents, err := s.store.genericGet(p.GenericId)
		if err != nil {
			logf("info", "No generic template named: %s", p.GenericId)
			http.NotFound(w, req)
			return
		}
		data, err := collectVariables(req, g)
		if err != nil {
			logf("error", "error collecting variables: %v", err)
			http.NotFound(w, req)
			return
		}
		var buf bytes.Buffer
		if err := renderTemplate(&buf, data, contents); err != nil {
			http.NotFound(w, req)
			return
		}
		http.ServeContent(w, req, "", time.Time{}, strings.NewReader(buf.String()))
	})
}
