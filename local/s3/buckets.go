package s3

import (
	"bytes"
	"encoding/xml"
	"net"
	"net/http"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// bucketNamePattern is checked with the length (3 to 63) apart: a counted repetition compiles
// to one copy per count, paid at every start-up of the binary.
var bucketNamePattern = lazyregexp.New(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)

func validBucketName(name string) bool {
	return len(name) >= 3 && len(name) <= 63 && bucketNamePattern.MatchString(name) && !strings.Contains(name, "..") &&
		net.ParseIP(name) == nil && !strings.HasPrefix(name, "xn--") && !strings.HasSuffix(name, "-s3alias")
}

// createBucket follows S3's regional behaviour: creating a bucket you already own is a 200 in
// us-east-1 and BucketAlreadyOwnedByYou (409) elsewhere.
func (s *Service) createBucket(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("Bucket")
	if !validBucketName(name) {
		return s3err(400, "InvalidBucketName", "The specified bucket is not valid.", "BucketName", name)
	}
	var in struct {
		LocationConstraint string `xml:"LocationConstraint"`
	}
	body, err := readBody(r, 1<<16)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := xml.Unmarshal(body, &in); err != nil {
			return errMalformedXML()
		}
	}
	region := s.cfg.Region
	switch loc := in.LocationConstraint; {
	case loc == "" && region != "us-east-1":
		return s3err(400, "IllegalLocationConstraintException", "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.")
	case loc != "" && region == "us-east-1" && loc != "us-east-1" || loc != "" && region != "us-east-1" && loc != region:
		return s3err(400, "IllegalLocationConstraintException", "The "+loc+" location constraint is incompatible for the region specific endpoint this request was sent to.")
	case loc == "us-east-1":
		return s3err(400, "InvalidLocationConstraint", "The specified location-constraint is not valid", "LocationConstraint", loc)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketBuckets).Get([]byte(name)) != nil {
			if region == "us-east-1" {
				return nil
			}
			return s3err(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", "BucketName", name)
		}
		return putJSON(tx, bucketBuckets, []byte(name), &bucketRec{Name: name, Created: time.Now().UTC(), Region: region})
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/"+name)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) headBucket(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("Bucket")
	b, err := s.bucket(name)
	if err != nil {
		return err
	}
	w.Header().Set("x-amz-bucket-region", b.Region)
	w.Header().Set("x-amz-access-point-alias", "false")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) deleteBucket(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("Bucket")
	err := s.db.Update(func(tx *bolt.Tx) error {
		if _, err := bucketTx(tx, name); err != nil {
			return err
		}
		full, err := bucketHasData(tx, name)
		if err != nil {
			return err
		}
		if full {
			return s3err(409, "BucketNotEmpty", "The bucket you tried to delete is not empty", "BucketName", name)
		}
		return tx.Bucket(bucketBuckets).Delete([]byte(name))
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) listBuckets(w http.ResponseWriter, r *http.Request) error {
	type bucketXML struct {
		Name         string `xml:"Name"`
		CreationDate string `xml:"CreationDate"`
		BucketRegion string `xml:"BucketRegion"`
	}
	prefix := r.URL.Query().Get("prefix")
	var list []bucketXML
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBuckets).ForEach(func(k, v []byte) error {
			b, err := getJSON[bucketRec](tx, bucketBuckets, k)
			if err != nil || !strings.HasPrefix(b.Name, prefix) {
				return err
			}
			list = append(list, bucketXML{Name: b.Name, CreationDate: timeXML(b.Created), BucketRegion: b.Region})
			return nil
		})
	})
	if err != nil {
		return err
	}
	writeXML(w, http.StatusOK, struct {
		XMLName xml.Name    `xml:"ListAllMyBucketsResult"`
		NS      string      `xml:"xmlns,attr"`
		Owner   owner       `xml:"Owner"`
		Buckets []bucketXML `xml:"Buckets>Bucket"`
		Prefix  string      `xml:"Prefix,omitempty"`
	}{NS: xmlns, Owner: s.owner, Buckets: list, Prefix: prefix})
	return nil
}

func (s *Service) getLocation(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("Bucket")
	b, err := s.bucket(name)
	if err != nil {
		return err
	}
	loc := b.Region
	if loc == "us-east-1" {
		loc = "" // S3 reports the original region as an empty constraint
	}
	writeXML(w, http.StatusOK, struct {
		XMLName xml.Name `xml:"LocationConstraint"`
		NS      string   `xml:"xmlns,attr"`
		Value   string   `xml:",chardata"`
	}{NS: xmlns, Value: loc})
	return nil
}

func (s *Service) putVersioning(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("Bucket")
	var in struct {
		Status    string `xml:"Status"`
		MfaDelete string `xml:"MfaDelete"`
	}
	if err := readXML(r, &in); err != nil {
		return err
	}
	if in.Status != "Enabled" && in.Status != "Suspended" {
		return errMalformedXML()
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := bucketTx(tx, name)
		if err != nil {
			return err
		}
		b.Versioning = in.Status
		return putJSON(tx, bucketBuckets, []byte(name), b)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) getVersioning(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("Bucket")
	b, err := s.bucket(name)
	if err != nil {
		return err
	}
	writeXML(w, http.StatusOK, struct {
		XMLName xml.Name `xml:"VersioningConfiguration"`
		NS      string   `xml:"xmlns,attr"`
		Status  string   `xml:"Status,omitempty"`
	}{NS: xmlns, Status: b.Versioning})
	return nil
}

// A bucket configuration kept as the XML document that was put, checked against the shape it
// must have.
type bucketConfig struct {
	name     string
	validate func(body []byte) error
	missing  func(bucket string) error // the GET answer when none was put; nil: defaultDoc
	default_ string
}

var (
	configEncryption = bucketConfig{
		name: "encryption",
		validate: func(body []byte) error {
			var in struct {
				XMLName xml.Name `xml:"ServerSideEncryptionConfiguration"`
				Rules   []struct {
					Apply struct {
						SSEAlgorithm string `xml:"SSEAlgorithm"`
					} `xml:"ApplyServerSideEncryptionByDefault"`
				} `xml:"Rule"`
			}
			if xml.Unmarshal(body, &in) != nil || len(in.Rules) == 0 {
				return errMalformedXML()
			}
			for _, r := range in.Rules {
				switch r.Apply.SSEAlgorithm {
				case "AES256", "aws:kms", "aws:kms:dsse":
				default:
					return errMalformedXML()
				}
			}
			return nil
		},
		// Every bucket is encrypted with SSE-S3 unless configured otherwise.
		default_: `<ServerSideEncryptionConfiguration xmlns="` + xmlns + `"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
	}
	configPublicAccessBlock = bucketConfig{
		name: "publicAccessBlock",
		validate: func(body []byte) error {
			var in struct {
				XMLName xml.Name `xml:"PublicAccessBlockConfiguration"`
			}
			if xml.Unmarshal(body, &in) != nil {
				return errMalformedXML()
			}
			return nil
		},
		missing: func(bucket string) error {
			return s3err(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", "BucketName", bucket)
		},
	}
	configTagging = bucketConfig{
		name: "tagging",
		validate: func(body []byte) error {
			var in struct {
				XMLName xml.Name `xml:"Tagging"`
				Tags    []struct {
					Key   string `xml:"Key"`
					Value string `xml:"Value"`
				} `xml:"TagSet>Tag"`
			}
			if xml.Unmarshal(body, &in) != nil {
				return errMalformedXML()
			}
			seen := map[string]bool{}
			for _, t := range in.Tags {
				if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
					return s3err(400, "InvalidTag", "The TagKey you have provided is invalid", "TagKey", t.Key)
				}
				if seen[t.Key] {
					return s3err(400, "InvalidTag", "Cannot provide multiple Tags with the same key", "TagKey", t.Key)
				}
				seen[t.Key] = true
			}
			if len(in.Tags) > 50 {
				return s3err(400, "BadRequest", "Object tags cannot be greater than 50")
			}
			return nil
		},
		missing: func(bucket string) error {
			return s3err(404, "NoSuchTagSet", "The TagSet does not exist", "BucketName", bucket)
		},
	}
)

func (s *Service) putBucketConfig(w http.ResponseWriter, r *http.Request, c bucketConfig) error {
	name := r.PathValue("Bucket")
	if _, err := s.bucket(name); err != nil {
		return err
	}
	body, err := readBody(r, 1<<20)
	if err != nil {
		return err
	}
	if err := c.validate(body); err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := bucketTx(tx, name)
		if err != nil {
			return err
		}
		if b.Configs == nil {
			b.Configs = map[string][]byte{}
		}
		b.Configs[c.name] = body
		return putJSON(tx, bucketBuckets, []byte(name), b)
	})
	if err != nil {
		return err
	}
	if c.name == "tagging" {
		w.WriteHeader(http.StatusNoContent)
	} else {
		w.WriteHeader(http.StatusOK)
	}
	return nil
}

func (s *Service) getBucketConfig(w http.ResponseWriter, r *http.Request, c bucketConfig) error {
	name := r.PathValue("Bucket")
	b, err := s.bucket(name)
	if err != nil {
		return err
	}
	doc, ok := b.Configs[c.name]
	if !ok {
		if c.missing != nil {
			return c.missing(name)
		}
		doc = []byte(c.default_)
	}
	doc = bytes.TrimSpace(doc)
	if !bytes.HasPrefix(doc, []byte("<?xml")) {
		doc = append([]byte(xml.Header), doc...)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	w.Write(doc)
	return nil
}

func (s *Service) deleteBucketConfig(w http.ResponseWriter, r *http.Request, c bucketConfig) error {
	name := r.PathValue("Bucket")
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := bucketTx(tx, name)
		if err != nil {
			return err
		}
		delete(b.Configs, c.name)
		return putJSON(tx, bucketBuckets, []byte(name), b)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
