package ecr

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/registry"
)

// operations is the table of contents of the service: X-Amz-Target suffix → handler.
var operations = map[string]func(*Service, *http.Request) (any, error){
	"CreateRepository":      (*Service).createRepository,
	"DescribeRepositories":  (*Service).describeRepositories,
	"DeleteRepository":      (*Service).deleteRepository,
	"GetAuthorizationToken": (*Service).getAuthorizationToken,
	"DescribeImages":        (*Service).describeImages,
	"ListImages":            (*Service).listImages,
	"BatchDeleteImage":      (*Service).batchDeleteImage,
	"PutLifecyclePolicy":    (*Service).putLifecyclePolicy,
	"GetLifecyclePolicy":    (*Service).getLifecyclePolicy,
	"DeleteLifecyclePolicy": (*Service).deleteLifecyclePolicy,
	"TagResource":           (*Service).tagResource,
	"UntagResource":         (*Service).untagResource,
	"ListTagsForResource":   (*Service).listTagsForResource,

	"BatchGetImage":                 (*Service).batchGetImage,
	"PutImage":                      (*Service).putImage,
	"PutImageTagMutability":         (*Service).putImageTagMutability,
	"PutImageScanningConfiguration": (*Service).putImageScanningConfiguration,
}

// repoNamePattern is the model's RepositoryName pattern, anchored.
var repoNamePattern = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)

const (
	defaultPageSize = 100
	maxTags         = 50
)

// Tag is ECR's resource tag (the model capitalises its members).
type Tag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

// repo is the stored record of a repository.
type repo struct {
	Name               string    `json:"name"`
	CreatedAt          time.Time `json:"createdAt"`
	ImageTagMutability string    `json:"imageTagMutability"`
	ScanOnPush         bool      `json:"scanOnPush"`
	EncryptionType     string    `json:"encryptionType"`
	KmsKey             string    `json:"kmsKey,omitempty"`
	Tags               []Tag     `json:"tags,omitempty"`
	LifecyclePolicy    string    `json:"lifecyclePolicy,omitempty"`
}

type scanningConfig struct {
	ScanOnPush bool `json:"scanOnPush"`
}

type encryptionConfig struct {
	EncryptionType string `json:"encryptionType"`
	KmsKey         string `json:"kmsKey,omitempty"`
}

type repository struct {
	RepositoryArn              string           `json:"repositoryArn"`
	RegistryID                 string           `json:"registryId"`
	RepositoryName             string           `json:"repositoryName"`
	RepositoryURI              string           `json:"repositoryUri"`
	CreatedAt                  epoch            `json:"createdAt"`
	ImageTagMutability         string           `json:"imageTagMutability"`
	ImageScanningConfiguration scanningConfig   `json:"imageScanningConfiguration"`
	EncryptionConfiguration    encryptionConfig `json:"encryptionConfiguration"`
}

func (s *Service) arn(name string) string {
	return "arn:aws:ecr:" + s.cfg.Region + ":" + s.cfg.Account + ":repository/" + name
}

func (s *Service) view(r repo) repository {
	return repository{
		RepositoryArn:              s.arn(r.Name),
		RegistryID:                 s.cfg.Account,
		RepositoryName:             r.Name,
		RepositoryURI:              s.registryHost() + "/" + r.Name,
		CreatedAt:                  epoch(r.CreatedAt),
		ImageTagMutability:         r.ImageTagMutability,
		ImageScanningConfiguration: scanningConfig{r.ScanOnPush},
		EncryptionConfiguration:    encryptionConfig{r.EncryptionType, r.KmsKey},
	}
}

var errNoRepo = errors.New("no such repository")

func (s *Service) getRepo(name string) (repo, error) {
	var r repo
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRepos).Get([]byte(name))
		if b == nil {
			return errNoRepo
		}
		return json.Unmarshal(b, &r)
	})
	return r, err
}

func (s *Service) repoNotFound(name string) error {
	return newErr("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, s.cfg.Account)
}

// lookup validates the registry id and name and loads the repository.
func (s *Service) lookup(registryID *string, name string) (repo, error) {
	if err := s.checkRegistryID(registryID); err != nil {
		return repo{}, err
	}
	if err := validateRepoName(name); err != nil {
		return repo{}, err
	}
	r, err := s.getRepo(name)
	if errors.Is(err, errNoRepo) {
		return repo{}, s.repoNotFound(name)
	}
	return r, err
}

// update loads, changes and stores a repository in one transaction.
func (s *Service) update(name string, fn func(*repo) error) (repo, error) {
	var r repo
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRepos)
		v := b.Get([]byte(name))
		if v == nil {
			return s.repoNotFound(name)
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		nv, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), nv)
	})
	return r, err
}

func (s *Service) checkRegistryID(id *string) error {
	if id != nil && *id != s.cfg.Account {
		if len(*id) != 12 || strings.Trim(*id, "0123456789") != "" {
			return invalidParam("Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''")
		}
		// A real registry id of another account: the caller has no access to it.
		return newErr("RepositoryNotFoundException", "The registry with id '%s' is not accessible from this local endpoint (account '%s')", *id, s.cfg.Account)
	}
	return nil
}

func validateRepoName(name string) error {
	if name == "" {
		return invalidParam("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must not be null'")
	}
	if len(name) < 2 || len(name) > 256 {
		return invalidParam("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must have length between 2 and 256'")
	}
	if !repoNamePattern.MatchString(name) {
		return invalidParam("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '%s''", `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*`)
	}
	return nil
}

func validateTags(tags []Tag) error {
	if len(tags) > maxTags {
		return newErr("TooManyTagsException", "Tag limit exceeded: a repository can have at most %d tags", maxTags)
	}
	for _, t := range tags {
		if t.Key == nil || *t.Key == "" || len(*t.Key) > 128 {
			return newErr("InvalidTagParameterException", "Tag keys must be between 1 and 128 characters")
		}
		if strings.HasPrefix(strings.ToLower(*t.Key), "aws:") {
			return newErr("InvalidTagParameterException", "Tag keys beginning with 'aws:' are reserved for AWS use")
		}
		if t.Value == nil {
			return newErr("InvalidTagParameterException", "Tag value for key '%s' must not be null", *t.Key)
		}
		if len(*t.Value) > 256 {
			return newErr("InvalidTagParameterException", "Tag values must be at most 256 characters")
		}
	}
	return nil
}

// mergeTags adds or replaces tags by key, keeping the original order.
func mergeTags(have, add []Tag) []Tag {
	out := append([]Tag(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if *out[i].Key == *t.Key {
				out[i].Value = t.Value
				replaced = true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

// ---- repositories ----

func (s *Service) createRepository(req *http.Request) (any, error) {
	var in struct {
		RegistryID                 *string `json:"registryId"`
		RepositoryName             string  `json:"repositoryName"`
		Tags                       []Tag   `json:"tags"`
		ImageTagMutability         string  `json:"imageTagMutability"`
		ImageScanningConfiguration *struct {
			ScanOnPush bool `json:"scanOnPush"`
		} `json:"imageScanningConfiguration"`
		EncryptionConfiguration *struct {
			EncryptionType string `json:"encryptionType"`
			KmsKey         string `json:"kmsKey"`
		} `json:"encryptionConfiguration"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if err := s.checkRegistryID(in.RegistryID); err != nil {
		return nil, err
	}
	if err := validateRepoName(in.RepositoryName); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	r := repo{
		Name:               in.RepositoryName,
		CreatedAt:          s.cfg.Now().UTC().Truncate(time.Millisecond),
		ImageTagMutability: "MUTABLE",
		EncryptionType:     "AES256",
		Tags:               mergeTags(nil, in.Tags),
	}
	if in.ImageTagMutability != "" {
		if err := validateMutability(in.ImageTagMutability); err != nil {
			return nil, err
		}
		r.ImageTagMutability = in.ImageTagMutability
	}
	if in.ImageScanningConfiguration != nil {
		r.ScanOnPush = in.ImageScanningConfiguration.ScanOnPush
	}
	if e := in.EncryptionConfiguration; e != nil {
		switch e.EncryptionType {
		case "AES256":
			if e.KmsKey != "" {
				return nil, invalidParam("Invalid parameter: kmsKey can only be specified when encryptionType is 'KMS' or 'KMS_DSSE'")
			}
		case "KMS", "KMS_DSSE":
			r.KmsKey = e.KmsKey
			if r.KmsKey == "" {
				// ECR reports the AWS managed key it used.
				r.KmsKey = "arn:aws:kms:" + s.cfg.Region + ":" + s.cfg.Account + ":alias/aws/ecr"
			}
		default:
			return nil, invalidParam("Invalid parameter at 'encryptionConfiguration.encryptionType' failed to satisfy constraint: 'Member must satisfy enum value set: [AES256, KMS, KMS_DSSE]'")
		}
		r.EncryptionType = e.EncryptionType
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRepos)
		if b.Get([]byte(r.Name)) != nil {
			return newErr("RepositoryAlreadyExistsException", "The repository with name '%s' already exists in the registry with id '%s'", r.Name, s.cfg.Account)
		}
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put([]byte(r.Name), v)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"repository": s.view(r)}, nil
}

func validateMutability(m string) error {
	switch m {
	case "MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION":
		return nil
	}
	return invalidParam("Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]'")
}

func (s *Service) putImageTagMutability(req *http.Request) (any, error) {
	var in struct {
		repoRef
		ImageTagMutability string `json:"imageTagMutability"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if _, err := s.lookup(in.RegistryID, in.RepositoryName); err != nil {
		return nil, err
	}
	if err := validateMutability(in.ImageTagMutability); err != nil {
		return nil, err
	}
	r, err := s.update(in.RepositoryName, func(r *repo) error {
		r.ImageTagMutability = in.ImageTagMutability
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": s.cfg.Account, "repositoryName": r.Name, "imageTagMutability": r.ImageTagMutability}, nil
}

func (s *Service) putImageScanningConfiguration(req *http.Request) (any, error) {
	var in struct {
		repoRef
		ImageScanningConfiguration *scanningConfig `json:"imageScanningConfiguration"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if _, err := s.lookup(in.RegistryID, in.RepositoryName); err != nil {
		return nil, err
	}
	if in.ImageScanningConfiguration == nil {
		return nil, invalidParam("Invalid parameter at 'imageScanningConfiguration' failed to satisfy constraint: 'Member must not be null'")
	}
	r, err := s.update(in.RepositoryName, func(r *repo) error {
		r.ScanOnPush = in.ImageScanningConfiguration.ScanOnPush
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": s.cfg.Account, "repositoryName": r.Name, "imageScanningConfiguration": scanningConfig{r.ScanOnPush}}, nil
}

func checkMaxResults(m *int) (int, error) {
	if m == nil {
		return defaultPageSize, nil
	}
	if *m < 1 || *m > 1000 {
		return 0, invalidParam("Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000 and greater than or equal to 1'")
	}
	return *m, nil
}

func (s *Service) describeRepositories(req *http.Request) (any, error) {
	var in struct {
		RegistryID      *string  `json:"registryId"`
		RepositoryNames []string `json:"repositoryNames"`
		NextToken       *string  `json:"nextToken"`
		MaxResults      *int     `json:"maxResults"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if err := s.checkRegistryID(in.RegistryID); err != nil {
		return nil, err
	}
	limit, err := checkMaxResults(in.MaxResults)
	if err != nil {
		return nil, err
	}
	if len(in.RepositoryNames) > 0 {
		if in.MaxResults != nil || in.NextToken != nil {
			return nil, invalidParam("Invalid parameter: maxResults and nextToken cannot be used together with repositoryNames")
		}
		if len(in.RepositoryNames) > 100 {
			return nil, invalidParam("Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'Member must have length less than or equal to 100'")
		}
		out := []repository{}
		for _, n := range in.RepositoryNames {
			r, err := s.lookup(nil, n)
			if err != nil {
				return nil, err
			}
			out = append(out, s.view(r))
		}
		return map[string]any{"repositories": out}, nil
	}
	after, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := []repository{}
	var next *string
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRepos).Cursor()
		k, v := c.First()
		if after != "" {
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			if len(out) == limit {
				next = pageToken(out[len(out)-1].RepositoryName)
				return nil
			}
			var r repo
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, s.view(r))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return withToken(map[string]any{"repositories": out}, next), nil
}

func (s *Service) deleteRepository(req *http.Request) (any, error) {
	var in struct {
		RegistryID     *string `json:"registryId"`
		RepositoryName string  `json:"repositoryName"`
		Force          bool    `json:"force"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	r, err := s.lookup(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if s.reg != nil {
		imgs, err := s.reg.Images(r.Name)
		if err != nil {
			return nil, err
		}
		if len(imgs) > 0 && !in.Force {
			return nil, newErr("RepositoryNotEmptyException", "The repository with name '%s' in registry with id '%s' cannot be deleted because it still contains images", r.Name, s.cfg.Account)
		}
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRepos).Delete([]byte(r.Name))
	}); err != nil {
		return nil, err
	}
	if s.reg != nil {
		if err := s.reg.DeleteRepository(r.Name); err != nil {
			return nil, err
		}
	}
	return map[string]any{"repository": s.view(r)}, nil
}

// ---- authorization ----

func (s *Service) getAuthorizationToken(req *http.Request) (any, error) {
	var in struct {
		RegistryIDs []string `json:"registryIds"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	for _, id := range in.RegistryIDs {
		if err := s.checkRegistryID(&id); err != nil {
			return nil, invalidParam("Invalid parameter at 'registryIds': registry id '%s' is not accessible from this local endpoint", id)
		}
	}
	// The registry accepts any credentials; the password only has to look like ECR's.
	token := base64.StdEncoding.EncodeToString([]byte("AWS:" + requestID() + requestID()))
	data := map[string]any{
		"authorizationToken": token,
		"expiresAt":          epoch(s.cfg.Now().Add(12 * time.Hour)),
		"proxyEndpoint":      "http://" + s.registryHost(),
	}
	return map[string]any{"authorizationData": []any{data}}, nil
}

// ---- images ----

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
func (s *Service) listing(in imageListInput) (repo, int, func(registry.Image) bool, []registry.Image, error) {
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

func (s *Service) describeImages(req *http.Request) (any, error) {
	var in struct {
		imageListInput
		ImageIDs []imageID `json:"imageIds"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	r, limit, keep, imgs, err := s.listing(in.imageListInput)
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

func (s *Service) listImages(req *http.Request) (any, error) {
	var in imageListInput
	if err := decode(req, &in); err != nil {
		return nil, err
	}
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

func (s *Service) batchDeleteImage(req *http.Request) (any, error) {
	var in struct {
		RegistryID     *string   `json:"registryId"`
		RepositoryName string    `json:"repositoryName"`
		ImageIDs       []imageID `json:"imageIds"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
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
func (s *Service) batchGetImage(req *http.Request) (any, error) {
	var in struct {
		repoRef
		ImageIDs []imageID `json:"imageIds"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
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

func (s *Service) putImage(req *http.Request) (any, error) {
	var in struct {
		repoRef
		ImageManifest          string  `json:"imageManifest"`
		ImageManifestMediaType string  `json:"imageManifestMediaType"`
		ImageTag               *string `json:"imageTag"`
		ImageDigest            *string `json:"imageDigest"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
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
	switch registry.ErrorCode(err) {
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

// ---- lifecycle policies ----

func (s *Service) putLifecyclePolicy(req *http.Request) (any, error) {
	var in struct {
		RegistryID          *string `json:"registryId"`
		RepositoryName      string  `json:"repositoryName"`
		LifecyclePolicyText string  `json:"lifecyclePolicyText"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if err := s.checkRegistryID(in.RegistryID); err != nil {
		return nil, err
	}
	if err := validateRepoName(in.RepositoryName); err != nil {
		return nil, err
	}
	if n := len(in.LifecyclePolicyText); n < 100 || n > 30720 {
		return nil, invalidParam("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Member must have length less than or equal to 30720 and greater than or equal to 100'")
	}
	var doc struct {
		Rules []json.RawMessage `json:"rules"`
	}
	if err := json.Unmarshal([]byte(in.LifecyclePolicyText), &doc); err != nil || len(doc.Rules) == 0 {
		return nil, invalidParam("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: the policy must be a JSON object with a non-empty \"rules\" array'")
	}
	r, err := s.update(in.RepositoryName, func(r *repo) error {
		r.LifecyclePolicy = in.LifecyclePolicyText
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": s.cfg.Account, "repositoryName": r.Name, "lifecyclePolicyText": r.LifecyclePolicy}, nil
}

func (s *Service) lifecyclePolicyNotFound(name string) error {
	return newErr("LifecyclePolicyNotFoundException", "Lifecycle policy does not exist for the repository with name '%s' in the registry with id '%s'", name, s.cfg.Account)
}

type repoRef struct {
	RegistryID     *string `json:"registryId"`
	RepositoryName string  `json:"repositoryName"`
}

func (s *Service) getLifecyclePolicy(req *http.Request) (any, error) {
	var in repoRef
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	r, err := s.lookup(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if r.LifecyclePolicy == "" {
		return nil, s.lifecyclePolicyNotFound(r.Name)
	}
	return map[string]any{"registryId": s.cfg.Account, "repositoryName": r.Name, "lifecyclePolicyText": r.LifecyclePolicy}, nil
}

func (s *Service) deleteLifecyclePolicy(req *http.Request) (any, error) {
	var in repoRef
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if _, err := s.lookup(in.RegistryID, in.RepositoryName); err != nil {
		return nil, err
	}
	var text string
	_, err := s.update(in.RepositoryName, func(r *repo) error {
		if r.LifecyclePolicy == "" {
			return s.lifecyclePolicyNotFound(r.Name)
		}
		text, r.LifecyclePolicy = r.LifecyclePolicy, ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": s.cfg.Account, "repositoryName": in.RepositoryName, "lifecyclePolicyText": text}, nil
}

// ---- resource tags ----

// repoFromARN maps arn:aws:ecr:REGION:ACCOUNT:repository/NAME to NAME.
func (s *Service) repoFromARN(arn string) (string, error) {
	prefix := "arn:aws:ecr:" + s.cfg.Region + ":" + s.cfg.Account + ":repository/"
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		if strings.HasPrefix(arn, "arn:aws:ecr:") {
			return "", invalidParam("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'ARN '%s' is not a repository of registry '%s' in region '%s''", arn, s.cfg.Account, s.cfg.Region)
		}
		return "", invalidParam("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'")
	}
	if _, err := s.lookup(nil, name); err != nil {
		return "", err
	}
	return name, nil
}

func (s *Service) tagResource(req *http.Request) (any, error) {
	var in struct {
		ResourceArn string `json:"resourceArn"`
		Tags        []Tag  `json:"tags"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	name, err := s.repoFromARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	_, err = s.update(name, func(r *repo) error {
		merged := mergeTags(r.Tags, in.Tags)
		if len(merged) > maxTags {
			return newErr("TooManyTagsException", "Tag limit exceeded: a repository can have at most %d tags", maxTags)
		}
		r.Tags = merged
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) untagResource(req *http.Request) (any, error) {
	var in struct {
		ResourceArn string   `json:"resourceArn"`
		TagKeys     []string `json:"tagKeys"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	name, err := s.repoFromARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, k := range in.TagKeys {
		if k == "" || len(k) > 128 {
			return nil, newErr("InvalidTagParameterException", "Tag keys must be between 1 and 128 characters")
		}
		drop[k] = true
	}
	_, err = s.update(name, func(r *repo) error {
		var kept []Tag
		for _, t := range r.Tags {
			if !drop[*t.Key] {
				kept = append(kept, t)
			}
		}
		r.Tags = kept
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) listTagsForResource(req *http.Request) (any, error) {
	var in struct {
		ResourceArn string `json:"resourceArn"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	name, err := s.repoFromARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	r, err := s.getRepo(name)
	if err != nil {
		return nil, err
	}
	tags := append([]Tag{}, r.Tags...)
	return map[string]any{"tags": tags}, nil
}

// withToken adds nextToken to a list response when there is a next page.
func withToken(m map[string]any, next *string) map[string]any {
	if next != nil {
		m["nextToken"] = *next
	}
	return m
}
