package oci

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/ociimage"
)

const pushUsage = `oci.push{path = ".agentcore/build/my-bot", to = "REGISTRY/REPO:TAG"}`

type pushOpts struct {
	Path string `json:"path"`
	To   string `json:"to"`
	Auth *auth  `json:"auth,omitempty"`
}

type pushResult struct {
	Digest string `json:"digest"`
	Ref    string `json:"ref"`
	Pushed bool   `json:"pushed"`
}

func luaPush(L *lua.LState, o pushOpts) (pushResult, error) {
	r := engine.FromL(L)
	if o.Auth != nil {
		r.Out.AddSecret(o.Auth.Password)
	}
	dir := resolve(r.Dir, o.Path)
	return engine.Unlocked(L, func(ctx context.Context) (pushResult, error) { return push(ctx, dir, o) })
}

func push(ctx context.Context, dir string, o pushOpts) (pushResult, error) {
	img, desc, err := ociimage.ReadLayout(dir)
	if err != nil {
		return pushResult{}, engine.Usagef("path is the out folder of oci.build_go (its result's path)", "oci.push: no image layout at %s: %v", o.Path, err)
	}
	dst, err := parse(o.To)
	if err != nil {
		return pushResult{}, engine.Usagef(pushUsage, "oci.push: to: %v", err)
	}
	digest := desc.Digest.String()
	// Push under the tag the caller wrote, else by digest (a bare REPO is not REPO:latest).
	target := name.Reference(dst.Context().Digest(digest))
	switch ref := dst.(type) {
	case name.Digest:
		if ref.DigestStr() != digest {
			return pushResult{}, engine.Usagef("leave the digest out of to, or give the layout's own", "oci.push: to names %s, but the image at %s is %s", ref.DigestStr(), o.Path, digest)
		}
	case name.Tag:
		if hasTag(o.To) {
			target = ref
		}
	}
	res := pushResult{Digest: digest, Ref: dst.Context().Digest(digest).String()}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuth(keychain(o.Auth))}
	// The registry has it (under the tag, when one is given): send nothing. A failed HEAD is
	// not reported here; the write below says what is wrong.
	if have, err := remote.Head(target, opts...); err == nil && have.Digest == desc.Digest {
		return res, nil
	}
	if err := remote.Write(target, img, opts...); err != nil {
		if ctx.Err() != nil {
			return pushResult{}, ctx.Err()
		}
		return pushResult{}, &engine.Error{Code: engine.ExitFailure, Msg: fmt.Sprintf("oci.push: pushing %s to %s: %v", o.Path, target, err), Err: err,
			Hint: "check that the repository exists and that the registry accepts the credentials (auth)"}
	}
	res.Pushed = true
	return res, nil
}

// hasTag reports whether a reference names a tag explicitly (a ':' after the last '/').
func hasTag(ref string) bool {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		ref = ref[i+1:]
	}
	return strings.Contains(ref, ":") && !strings.Contains(ref, "@")
}
