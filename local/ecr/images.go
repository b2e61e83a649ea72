package ecr

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/agentcore/agentcore/local/internal/awsproto"
	"github.com/agentcore/agentcore/local/registry"
)

// Images: DescribeImages, ListImages, BatchDeleteImage, BatchGetImage, PutImage. The images
// themselves live in the registry; these operations read and change it through its Go API.

type imageID struct {
	ImageDigest *string `json:"imageDigest,omitempty"`
	ImageTag    *string `json:"imageTag,omitempty"`
}

func (id imageID) String() string {
	d, t := "null", "null"
	if id.ImageDigest != nil {
		d = "'" + *id.ImageDigest + "'"
	}
	if id.ImageTag != nil {
		t = "'" + *id.ImageTag + "'"
	}
	return "{imageDigest:" + d + ", imageTag:" + t + "}"
}

type imageDetail struct {
	RegistryID             string   `json:"registryId"`
	RepositoryName         string   `json:"repositoryName"`
	ImageDigest            string   `json:"imageDigest"`
	ImageTags              []string `json:"imageTags,omitempty"`
	ImageSizeInBytes       int64    `json:"imageSizeInBytes"`
	ImagePushedAt          epoch    `json:"imagePushedAt"`
	ImageManifestMediaType string   `json:"imageManifestMediaType,omitempty"`
	ArtifactMediaType      string   `json:"artifactMediaType,omitempty"`
	ImageStatus            string   `json:"imageStatus"`
}

func (s *Service) images(name string) ([]registry.Image, error) {
	if s.reg == nil {
		return nil, nil
	}
	return s.reg.Images(name)
}

// tagStatusFilter reads filter.tagStatus (TAGGED, UNTAGGED, ANY).
func tagStatusFilter(f *struct {
	TagStatus string `json:"tagStatus"`
}) (func(registry.Image) bool, error) {
	if f == nil {
		return func(registry.Image) bool { return true }, nil
	}
	switch f.TagStatus {
	case "", "ANY":
		return func(registry.Image) bool { return true }, nil
	case "TAGGED":
		return func(i registry.Image) bool { return len(i.Tags) > 0 }, nil
	case "UNTAGGED":
		return func(i registry.Image) bool { return len(i.Tags) == 0 }, nil
	}
	return nil, invalidParam("Invalid parameter at 'filter.tagStatus' failed to satisfy constraint: 'Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]'")
}

// findImage resolves an image id (digest, tag or both) among a repository's images.
func findImage(imgs []registry.Image, id imageID) (registry.Image, string, string) {
	if id.ImageDigest == nil && id.ImageTag == nil {
		return registry.Image{}, "MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null"
	}
	if id.ImageDigest != nil && !registry.ValidDigest(*id.ImageDigest) {
		return registry.Image{}, "InvalidImageDigest", "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"
	}
	if id.ImageTag != nil && (*id.ImageTag == "" || len(*id.ImageTag) > 300) {
		return registry.Image{}, "InvalidImageTag", "Invalid request parameters: image tag should be between 1 and 300 characters"
	}
	for _, img := range imgs {
		if id.ImageDigest != nil && img.Digest != *id.ImageDigest {
			continue
		}
		if id.ImageTag != nil {
			has := false
			for _, t := range img.Tags {
				has = has || t == *id.ImageTag
			}
			if !has {
				if id.ImageDigest != nil {
					return registry.Image{}, "ImageTagDoesNotMatchDigest", "Invalid request parameters: given tag and digest do not point to the same image"
				}
				continue
			}
		}
		return img, "", ""
	}
	return registry.Image{}, "ImageNotFound", "Requested image not found"
}

func (s *Service) detail(repoName string, img registry.Image) imageDetail {
	return imageDetail{
		RegistryID:             s.cfg.Account,
		RepositoryName:         repoName,
		ImageDigest:            img.Digest,
		ImageTags:              img.Tags,
		ImageSizeInBytes:       img.Size,
		ImagePushedAt:          epoch(img.PushedAt),
		ImageManifestMediaType: img.MediaType,
		ArtifactMediaType:      img.ArtifactMediaType,
		ImageStatus:            "ACTIVE",
	}
}

// page cuts items after the token position; key names each item for the next token.
func page[T any](items []T, key func(T) string, tok *string, limit int) ([]T, *string, error) {
	after, err := parsePageToken(tok)
	if err != nil {
		return nil, nil, err
	}
	start := 0
	if after != "" {
		start = len(items)
		for i, it := range items {
			if key(it) == after {
				start = i + 1
				break
			}
		}
	}
	items = items[start:]
	if len(items) > limit {
		return items[:limit], pageToken(key(items[limit-1])), nil
	}
	return items, nil, nil
}

// imageListInput is what DescribeImages and ListImages share.
type imageListInput struct {
	RegistryID     *string `json:"registryId"`
	RepositoryName string  `json:"repositoryName"`
	NextToken      *string `json:"nextToken"`
	MaxResults     *int    `json:"maxResults"`
	Filter         *struct {
		TagStatus string `json:"tagStatus"`
	} `json:"filter"`
}

// listing validates a list request and returns the repository, the page size, the tagStatus
// filter and all of the repository's images.
func (s *Service) listing(in *imageListInput) (repo, int, func(registry.Image) bool, []registry.Image, error) {
	r, err := s.lookup(in.RegistryID, in.RepositoryName)
	if err != nil {
		return repo{}, 0, nil, nil, err
	}
	limit, err := checkMaxResults(in.MaxResults)
	if err != nil {
		return repo{}, 0, nil, nil, err
	}
	keep, err := tagStatusFilter(in.Filter)
	if err != nil {
		return repo{}, 0, nil, nil, err
	}
	imgs, err := s.images(r.Name)
	return r, limit, keep, imgs, err
}

type describeImagesInput struct {
	imageListInput
	ImageIDs []imageID `json:"imageIds"`
}

func (s *Service) describeImages(in *describeImagesInput) (any, error) {
	r, limit, keep, imgs, err := s.listing(&in.imageListInput)
	if err != nil {
		return nil, err
	}
	out := []imageDetail{}
	if len(in.ImageIDs) > 0 {
		if in.MaxResults != nil || in.NextToken != nil {
			return nil, invalidParam("Invalid parameter: maxResults and nextToken cannot be used together with imageIds")
		}
		seen := map[string]bool{}
		for _, id := range in.ImageIDs {
			img, code, reason := findImage(imgs, id)
			switch code {
			case "":
			case "ImageNotFound", "ImageTagDoesNotMatchDigest":
				return nil, newErr("ImageNotFoundException", "The image with imageId %s does not exist within the repository with name '%s' in the registry with id '%s'", id, r.Name, s.cfg.Account)
			default:
				return nil, invalidParam("%s", reason)
			}
			if !seen[img.Digest] && keep(img) {
				seen[img.Digest] = true
				out = append(out, s.detail(r.Name, img))
			}
		}
		return map[string]any{"imageDetails": out}, nil
	}
	var filtered []registry.Image
	for _, img := range imgs {
		if keep(img) {
			filtered = append(filtered, img)
		}
	}
	pg, next, err := page(filtered, func(i registry.Image) string { return i.Digest }, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	for _, img := range pg {
		out = append(out, s.detail(r.Name, img))
	}
	return withToken(map[string]any{"imageDetails": out}, next), nil
}

func (s *Service) listImages(in *imageListInput) (any, error) {
	_, limit, keep, imgs, err := s.listing(in)
	if err != nil {
		return nil, err
	}
	// One entry per tag, and one per untagged image, as ECR lists them.
	var ids []imageID
	for _, img := range imgs {
		if !keep(img) {
			continue
		}
		d := img.Digest
		if len(img.Tags) == 0 {
			ids = append(ids, imageID{ImageDigest: &d})
		}
		for _, t := range img.Tags {
			t := t
			ids = append(ids, imageID{ImageDigest: &d, ImageTag: &t})
		}
	}
	pg, next, err := page(ids, func(id imageID) string { return id.String() }, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	if pg == nil {
		pg = []imageID{}
	}
	return withToken(map[string]any{"imageIds": pg}, next), nil
}

type imageFailure struct {
	ImageID       imageID `json:"imageId"`
	FailureCode   string  `json:"failureCode"`
	FailureReason string  `json:"failureReason"`
}

type batchDeleteImageInput struct {
	RegistryID     *string   `json:"registryId"`
	RepositoryName string    `json:"repositoryName"`
	ImageIDs       []imageID `json:"imageIds"`
}

func (s *Service) batchDeleteImage(in *batchDeleteImageInput) (any, error) {
	r, err := s.lookup(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if len(in.ImageIDs) < 1 || len(in.ImageIDs) > 100 {
		return nil, invalidParam("Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length less than or equal to 100 and greater than or equal to 1'")
	}
	deleted := []imageID{}
	failures := []imageFailure{}
	for _, id := range in.ImageIDs {
		imgs, err := s.images(r.Name)
		if err != nil {
			return nil, err
		}
		img, code, reason := findImage(imgs, id)
		if code != "" {
			failures = append(failures, imageFailure{id, code, reason})
			continue
		}
		d := img.Digest
		if id.ImageDigest != nil {
			tags, err := s.reg.DeleteImage(r.Name, d)
			if errors.Is(err, registry.ErrReferencedByIndex) {
				failures = append(failures, imageFailure{id, "ImageReferencedByManifestList", "Requested image referenced by a manifest list: [" + d + "]"})
				continue
			}
			if err != nil {
				return nil, err
			}
			if len(tags) == 0 {
				deleted = append(deleted, imageID{ImageDigest: &d})
			}
			for _, t := range tags {
				t := t
				deleted = append(deleted, imageID{ImageDigest: &d, ImageTag: &t})
			}
			continue
		}
		if _, _, err := s.reg.DeleteTag(r.Name, *id.ImageTag); err != nil {
			return nil, err
		}
		deleted = append(deleted, imageID{ImageDigest: &d, ImageTag: id.ImageTag})
	}
	return map[string]any{"imageIds": deleted, "failures": failures}, nil
}

type image struct {
	RegistryID             string  `json:"registryId"`
	RepositoryName         string  `json:"repositoryName"`
	ImageID                imageID `json:"imageId"`
	ImageManifest          string  `json:"imageManifest"`
	ImageManifestMediaType string  `json:"imageManifestMediaType"`
}

// batchGetImage returns manifests as stored; acceptedMediaTypes is not used to convert them.
type batchGetImageInput struct {
	repoRef
	ImageIDs []imageID `json:"imageIds"`
}

func (s *Service) batchGetImage(in *batchGetImageInput) (any, error) {
	r, err := s.lookup(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if len(in.ImageIDs) < 1 || len(in.ImageIDs) > 100 {
		return nil, invalidParam("Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length less than or equal to 100 and greater than or equal to 1'")
	}
	imgs, err := s.images(r.Name)
	if err != nil {
		return nil, err
	}
	images := []image{}
	failures := []imageFailure{}
	for _, id := range in.ImageIDs {
		img, code, reason := findImage(imgs, id)
		if code != "" {
			failures = append(failures, imageFailure{id, code, reason})
			continue
		}
		body, mediaType, d, err := s.reg.Manifest(r.Name, img.Digest)
		if errors.Is(err, registry.ErrManifestUnknown) {
			failures = append(failures, imageFailure{id, "ImageNotFound", "Requested image not found"})
			continue
		}
		if err != nil {
			return nil, err
		}
		images = append(images, image{s.cfg.Account, r.Name, imageID{ImageDigest: &d, ImageTag: id.ImageTag}, string(body), mediaType})
	}
	return map[string]any{"images": images, "failures": failures}, nil
}

type putImageInput struct {
	repoRef
	ImageManifest          string  `json:"imageManifest"`
	ImageManifestMediaType string  `json:"imageManifestMediaType"`
	ImageTag               *string `json:"imageTag"`
	ImageDigest            *string `json:"imageDigest"`
}

func (s *Service) putImage(in *putImageInput) (any, error) {
	r, err := s.lookup(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if in.ImageManifest == "" {
		return nil, invalidParam("Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must have length greater than or equal to 1'")
	}
	if in.ImageTag != nil && (*in.ImageTag == "" || len(*in.ImageTag) > 300) {
		return nil, invalidParam("Invalid parameter at 'imageTag' failed to satisfy constraint: 'Member must have length less than or equal to 300 and greater than or equal to 1'")
	}
	body := []byte(in.ImageManifest)
	sum := sha256.Sum256(body)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if in.ImageDigest != nil && *in.ImageDigest != digest {
		return nil, newErr("ImageDigestDoesNotMatchException", "Invalid parameter at 'imageDigest' failed to satisfy constraint: 'The digest '%s' does not match the digest '%s' of the manifest'", *in.ImageDigest, digest)
	}
	ref := digest
	if in.ImageTag != nil {
		ref = *in.ImageTag
	}
	if _, _, d, err := s.reg.Manifest(r.Name, ref); err == nil && d == digest {
		tag := "null"
		if in.ImageTag != nil {
			tag = *in.ImageTag
		}
		return nil, newErr("ImageAlreadyExistsException", "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'", digest, tag, r.Name, s.cfg.Account)
	}
	d, err := s.reg.PutManifest(r.Name, ref, in.ImageManifestMediaType, body)
	switch awsproto.CodeOf(err) {
	case "":
	case "TAG_INVALID":
		if in.ImageTag != nil && r.ImageTagMutability == "IMMUTABLE" {
			return nil, newErr("ImageTagAlreadyExistsException", "The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", *in.ImageTag, r.Name)
		}
		return nil, invalidParam("Invalid parameter at 'imageTag': %v", err)
	case "MANIFEST_BLOB_UNKNOWN":
		var doc struct {
			Manifests []json.RawMessage `json:"manifests"`
		}
		json.Unmarshal(body, &doc)
		if len(doc.Manifests) > 0 {
			return nil, newErr("ReferencedImagesNotFoundException", "Some of the images referenced by the manifest list do not exist in the repository with name '%s' in the registry with id '%s'", r.Name, s.cfg.Account)
		}
		return nil, newErr("LayersNotFoundException", "Layers required for pushing image into repository with name '%s' in the registry with id '%s' do not exist: %v", r.Name, s.cfg.Account, err)
	default:
		return nil, invalidParam("Invalid parameter at 'imageManifest' failed to satisfy constraint: '%v'", err)
	}
	_, mediaType, _, err := s.reg.Manifest(r.Name, d)
	if err != nil {
		return nil, err
	}
	return map[string]any{"image": image{s.cfg.Account, r.Name, imageID{ImageDigest: &d, ImageTag: in.ImageTag}, in.ImageManifest, mediaType}}, nil
}
