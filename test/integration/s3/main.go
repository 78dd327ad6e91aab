// s3-server: an in-memory S3-compatible server over TLS for integration tests (pgBackRest).
// gofakes3 behind net/http's TLS server; loopback only; any credentials are accepted.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address, loopback only (port 0: the kernel picks one)")
	cert := flag.String("cert", "", "server certificate (PEM)")
	key := flag.String("key", "", "server key (PEM)")
	buckets := flag.String("buckets", "", "comma-separated buckets to create at start")
	verbose := flag.Bool("v", false, "log every request")
	flag.Parse()
	if *cert == "" || *key == "" {
		log.Fatal("s3-server: -cert and -key are required")
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatalf("s3-server: -addr %q: %v", *addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		log.Fatalf("s3-server: refusing to listen on %q: only loopback addresses are allowed", host)
	}

	backend := s3mem.New()
	for _, b := range strings.Split(*buckets, ",") {
		if b = strings.TrimSpace(b); b != "" {
			if err := backend.CreateBucket(b); err != nil {
				log.Fatalf("s3-server: create bucket %q: %v", b, err)
			}
		}
	}
	opts := []gofakes3.Option{gofakes3.WithAutoBucket(false)}
	if *verbose {
		opts = append(opts, gofakes3.WithGlobalLog())
	}
	// Listen first (so port 0 works and the line below names the real port), then serve TLS on it:
	// the same TLS server as http.ListenAndServeTLS, which closes connections cleanly.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("s3-server: %v", err)
	}
	fmt.Printf("s3-server listening on https://%s buckets=%s\n", ln.Addr(), *buckets)
	srv := &http.Server{Handler: gofakes3.New(backend, opts...).Server()}
	log.Fatal(srv.ServeTLS(ln, *cert, *key))
}
