// matchbox-standin answers HTTP as Matchbox v0.11.0 (poseidon/matchbox,
// tag v0.11.0) does for /, /boot.ipxe, /boot.ipxe.0, /ipxe, /generic and
// /assets/, from a store of Terraform-evaluated matchbox_profile /
// matchbox_group resources (terraform-provider-matchbox v0.5.4 semantics).
// Standard library only.
//
//	matchbox-standin -address 127.0.0.1:0 -store store.json -assets DIR
//
// stdout: "ready <host:port>" (the actual listen address) once listening,
// then one line per request:
//
//	REQ {"remote":"127.0.0.1","method":"GET","url":"/ipxe?mac=…","status":200,
//	     "labels":{…},"group":"…","profile":"…","bytes":123}
//
// "labels" is present for /ipxe and /generic (the labels Matchbox parses
// from the query), "group" when a group was selected, "profile" when the
// group's profile was found, "bytes" is the body bytes sent (0 for HEAD).
// stderr: Matchbox-like log lines. SIGTERM/SIGINT: graceful stop, exit 0.
// A bad store file (or a bad -assets directory): a message, exit 2.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

var outMu sync.Mutex

func logf(level, format string, args ...interface{}) {
	msg := fmt.Sprintf(format, args...)
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Fprintf(os.Stderr, "level=%s msg=%q\n", level, msg)
}

func jsonUnmarshal(data []byte, v interface{}) error { return json.Unmarshal(data, v) }

// record is what the REQ line reports about one request.
type record struct {
	Remote  string             `json:"remote"`
	Method  string             `json:"method"`
	URL     string             `json:"url"`
	Status  int                `json:"status"`
	Labels  *map[string]string `json:"labels,omitempty"`
	Group   string             `json:"group,omitempty"`
	Profile string             `json:"profile,omitempty"`
	Bytes   int64              `json:"bytes"`
}

func recordOf(req *http.Request) *record {
	if r, ok := req.Context().Value(recordKey).(*record); ok {
		return r
	}
	return &record{} // not reached: logRequests installs one
}

type recordingWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recordingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// logRequests plays the part of Matchbox's logRequest (handlers.go:25-31),
// but writes the machine-readable REQ line after the answer.
func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec := &record{Method: req.Method, URL: req.RequestURI}
		if host, _, err := net.SplitHostPort(req.RemoteAddr); err == nil {
			rec.Remote = host
		} else {
			rec.Remote = req.RemoteAddr
		}
		rw := &recordingWriter{ResponseWriter: w}
		next.ServeHTTP(rw, req.WithContext(context.WithValue(req.Context(), recordKey, rec)))
		rec.Status = rw.status
		if rec.Status == 0 {
			rec.Status = http.StatusOK
		}
		rec.Bytes = rw.bytes
		if req.Method == http.MethodHead {
			rec.Bytes = 0 // net/http discards HEAD bodies
		}
		var line bytes.Buffer
		enc := json.NewEncoder(&line)
		enc.SetEscapeHTML(false) // keep "&" readable in urls
		_ = enc.Encode(rec)      // ends with "\n"
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintf(os.Stdout, "REQ %s", line.Bytes())
	})
}

func main() {
	fs := flag.NewFlagSet("matchbox-standin", flag.ContinueOnError)
	address := fs.String("address", "127.0.0.1:8080", "HTTP listen address (port 0: any free port; the ready line says which)")
	storeFile := fs.String("store", "", "store JSON: {\"profiles\": [...], \"groups\": [...]} as Terraform evaluated the matchbox provider's resources")
	assets := fs.String("assets", "", "assets directory served at /assets/ (\"\" disables, like Matchbox's -assets-path \"\")")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "matchbox-standin: unexpected arguments %q\n", fs.Args())
		os.Exit(2)
	}
	if *storeFile == "" {
		fmt.Fprintln(os.Stderr, "matchbox-standin: -store is required")
		os.Exit(2)
	}
	store, err := loadStore(*storeFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "matchbox-standin: bad store file %s: %v\n", *storeFile, err)
		os.Exit(2)
	}
	// cmd/matchbox/main.go:92-96 @v0.11.0: a non-empty assets path must be
	// an existing directory, or Matchbox refuses to start.
	if *assets != "" {
		if fi, err := os.Stat(*assets); err != nil || !fi.IsDir() {
			fmt.Fprintf(os.Stderr, "matchbox-standin: Provide a valid -assets or '' to disable asset serving: %s\n", *assets)
			os.Exit(2)
		}
	}

	ln, err := net.Listen("tcp", *address)
	if err != nil {
		fmt.Fprintf(os.Stderr, "matchbox-standin: listen %s: %v\n", *address, err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: (&server{store: store, assetsPath: *assets}).handler()}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	outMu.Lock()
	fmt.Fprintf(os.Stdout, "ready %s\n", ln.Addr().String())
	outMu.Unlock()

	select {
	case <-stop:
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		os.Exit(0)
	case err := <-served:
		fmt.Fprintf(os.Stderr, "matchbox-standin: serve: %v\n", err)
		os.Exit(1)
	}
}
