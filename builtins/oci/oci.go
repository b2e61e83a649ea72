// Package oci is the Lua oci module: registry-to-registry image copies that keep the digest,
// with no Docker engine involved (github.com/google/go-containerregistry).
package oci

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// Module is the oci module.
var Module = &engine.Module{
	Name: "oci",
	Doc:  "Container images in registries, without the Docker engine.",
	Funcs: []engine.Func{
		{Name: "copy", Fn: luaCopy,
			Args:    "{from = REF, to = REF, from_auth = {username, password}, to_auth = {username, password}}",
			Returns: "{digest, ref}",
			Doc:     "Copies an image (or an index) from one registry to another by reference, keeping its digest, so that another environment runs exactly the same bytes. Loopback registries are reached over plain HTTP. Blobs the destination already has are not sent again."},
	},
}

type auth struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type copyOpts struct {
	From     string `json:"from"`
	To       string `json:"to"`
	FromAuth *auth  `json:"from_auth"`
	ToAuth   *auth  `json:"to_auth"`
}

type result struct {
	Digest string `json:"digest"`
	Ref    string `json:"ref"`
}

func luaCopy(L *lua.LState) int {
	var o copyOpts
	if err := engine.Decode(L.CheckTable(1), &o); err != nil {
		engine.RaiseUsage(L, "oci.copy{from = REF, to = REF}", "oci.copy: %v", err)
	}
	if o.From == "" || o.To == "" {
		engine.RaiseUsage(L, "oci.copy{from = REF, to = REF}", "oci.copy needs from and to")
	}
	r := engine.FromL(L)
	for _, a := range []*auth{o.FromAuth, o.ToAuth} {
		if a != nil {
			r.Out.AddSecret(a.Password)
		}
	}
	res, err := engine.Unlocked(L, func(ctx context.Context) (result, error) { return copyImage(ctx, o) })
	if err != nil {
		engine.Raise(L, &engine.Error{Code: engine.ExitFailure, Msg: fmt.Sprintf("copying image %s to %s: %v", o.From, o.To, err),
			Hint: "check that the source image exists and that both registries accept the credentials"})
	}
	L.Push(engine.ToLua(L, res))
	return 1
}

func parse(ref string) (name.Reference, error) {
	var opts []name.Option
	host := strings.SplitN(ref, "/", 2)[0]
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
		opts = append(opts, name.Insecure)
	}
	return name.ParseReference(ref, opts...)
}

func keychain(a *auth) authn.Authenticator {
	if a == nil || (a.Username == "" && a.Password == "") {
		return authn.Anonymous
	}
	return &authn.Basic{Username: a.Username, Password: a.Password}
}

func copyImage(ctx context.Context, o copyOpts) (result, error) {
	src, err := parse(o.From)
	if err != nil {
		return result{}, err
	}
	dst, err := parse(o.To)
	if err != nil {
		return result{}, err
	}
	desc, err := remote.Get(src, remote.WithContext(ctx), remote.WithAuth(keychain(o.FromAuth)))
	if err != nil {
		return result{}, err
	}
	wopts := []remote.Option{remote.WithContext(ctx), remote.WithAuth(keychain(o.ToAuth))}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return result{}, err
		}
		if err := remote.WriteIndex(dst, idx, wopts...); err != nil {
			return result{}, err
		}
	} else {
		img, err := desc.Image()
		if err != nil {
			return result{}, err
		}
		if err := remote.Write(dst, img, wopts...); err != nil {
			return result{}, err
		}
	}
	return result{Digest: desc.Digest.String(), Ref: dst.Context().Digest(desc.Digest.String()).String()}, nil
}
