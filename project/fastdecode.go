package project

import (
	"bytes"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// agentsPerChunk is how many agents' tables are decoded together by decodeRaw's fast path.
const agentsPerChunk = 64

// decodeRaw decodes data strictly into raw, as one toml.Decoder with DisallowUnknownFields
// does. go-toml's decoder checks each new table against every entry defined after its parent,
// which is quadratic in the number of agents; so the agents' tables are decoded in chunks of
// agentsPerChunk agents and the rest of the file on its own. Any error, or a file that defines
// agents otherwise than by [agents.NAME...] tables, takes the one-decoder path, whose errors
// (with their positions) are the ones reported.
func decodeRaw(data []byte, raw *rawFile) error {
	if decodeChunked(data, raw) {
		return nil
	}
	*raw = rawFile{}
	return toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(raw)
}

// decodeChunked is decodeRaw's fast path; it reports whether it decoded the whole file.
func decodeChunked(data []byte, raw *rawFile) bool {
	type section struct {
		start int
		agent string // "" for the rest of the file
	}
	secs := []section{{0, ""}}
	var p unstable.Parser
	p.Reset(data)
	headers := 0
	for p.NextExpression() {
		e := p.Expression()
		var parts []string
		var first *unstable.Node
		it := e.Key()
		for it.Next() {
			if first == nil {
				first = it.Node()
			}
			parts = append(parts, string(it.Node().Data))
		}
		switch e.Kind {
		case unstable.KeyValue:
			if headers == 0 && len(parts) > 0 && parts[0] == "agents" {
				return false // agents.x.y = ... at the top of the file
			}
		case unstable.Table, unstable.ArrayTable:
			headers++
			if first == nil || len(parts) == 0 {
				return false
			}
			agent := ""
			if parts[0] == "agents" {
				if len(parts) < 2 || e.Kind == unstable.ArrayTable && len(parts) == 2 {
					return false // [agents] or [[agents.x]]: the one-decoder path says what is wrong
				}
				agent = parts[1]
			}
			start := int(first.Raw.Offset)
			for start > 0 && data[start-1] != '\n' {
				start--
			}
			secs = append(secs, section{start, agent})
		}
	}
	if p.Error() != nil {
		return false
	}
	var rest []byte
	chunkOf := map[string]int{}
	var chunks [][]byte
	agentsIn := []int{}
	for i, s := range secs {
		end := len(data)
		if i+1 < len(secs) {
			end = secs[i+1].start
		}
		text := data[s.start:end]
		if s.agent == "" {
			rest = appendLine(rest, text)
			continue
		}
		c, ok := chunkOf[s.agent]
		if !ok {
			if len(chunks) == 0 || agentsIn[len(chunks)-1] == agentsPerChunk {
				chunks = append(chunks, nil)
				agentsIn = append(agentsIn, 0)
			}
			c = len(chunks) - 1
			chunkOf[s.agent] = c
			agentsIn[c]++
		}
		chunks[c] = appendLine(chunks[c], text)
	}
	if len(chunks) == 0 {
		return false // nothing to gain
	}
	*raw = rawFile{}
	if toml.NewDecoder(bytes.NewReader(rest)).DisallowUnknownFields().Decode(raw) != nil || raw.Agents != nil {
		return false
	}
	raw.Agents = map[string]rawAgent{}
	for _, c := range chunks {
		var part struct {
			Agents map[string]rawAgent `toml:"agents"`
		}
		if toml.NewDecoder(bytes.NewReader(c)).DisallowUnknownFields().Decode(&part) != nil {
			return false
		}
		for name, a := range part.Agents {
			if _, dup := raw.Agents[name]; dup {
				return false
			}
			raw.Agents[name] = a
		}
	}
	return true
}

// appendLine appends text to b, ending it with a newline.
func appendLine(b, text []byte) []byte {
	b = append(b, text...)
	if len(text) > 0 && text[len(text)-1] != '\n' {
		b = append(b, '\n')
	}
	return b
}
