// Command plainregistry serves an OCI registry in memory on 127.0.0.1 with no credentials,
// standing in for the registry of another pipeline: bench/artifacts.sh pushes the prebuilt
// image of its build = "image" agent there. It prints its address (127.0.0.1:PORT) on one
// line, then serves until it is killed.
//
//	plainregistry [-addr 127.0.0.1:0]
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plainregistry:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "plainregistry:", err)
		os.Exit(1)
	}
}
