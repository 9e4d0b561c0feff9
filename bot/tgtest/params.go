package tgtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxBodyBytes bounds a request body. The real Bot API accepts uploads of up
// to 50 MB; nothing this fake supports comes close, but a runaway client must
// not exhaust the memory of a test process.
const maxBodyBytes = 50 << 20

// param is one request parameter as the client sent it. Telegram accepts the
// same parameter either as a JSON value (application/json bodies) or as a
// string (query strings and form bodies, where objects and arrays are
// JSON-serialized strings), so both shapes are kept and the accessors below
// convert on demand.
type param struct {
	raw  json.RawMessage // set when the value came from a JSON body
	form string          // set when the value came from a query or form
	json bool
}

// params holds a request's parameters, whatever encoding carried them.
type params map[string]param

// parseParams reads the query string and the body of r, as the Bot API does:
// application/json, multipart/form-data and application/x-www-form-urlencoded
// bodies are accepted; body values override query values of the same name.
func parseParams(r *http.Request) (params, *apiError) {
	p := params{}
	for k, vs := range r.URL.Query() {
		if len(vs) > 0 {
			p[k] = param{form: vs[len(vs)-1]}
		}
	}
	if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return p, nil
	}
	body := http.MaxBytesReader(nil, r.Body, maxBodyBytes)
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		mr, err := multipartReader(body, ctParams["boundary"])
		if err != nil {
			return nil, badRequest("can't parse multipart/form-data: " + err.Error())
		}
		for k, v := range mr {
			p[k] = param{form: v}
		}
	case "application/x-www-form-urlencoded":
		data, err := io.ReadAll(body)
		if err != nil {
			return nil, badRequest("can't read request body")
		}
		vals, err := url.ParseQuery(string(data))
		if err != nil {
			return nil, badRequest("can't parse application/x-www-form-urlencoded body")
		}
		for k, vs := range vals {
			if len(vs) > 0 {
				p[k] = param{form: vs[len(vs)-1]}
			}
		}
	default:
		// application/json, or no content type at all: an empty body is
		// fine (methods without parameters), anything else must be a JSON
		// object.
		data, err := io.ReadAll(body)
		if err != nil {
			return nil, badRequest("can't read request body")
		}
		if err := p.addJSON(data); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// addJSON merges the members of a JSON object into p.
func (p params) addJSON(data []byte) *apiError {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return badRequest("can't parse JSON object")
	}
	for k, v := range obj {
		p[k] = param{raw: v, json: true}
	}
	return nil
}

// has reports whether the parameter is present and not JSON null.
func (p params) has(name string) bool {
	v, ok := p[name]
	if !ok {
		return false
	}
	if v.json {
		return !bytes.Equal(bytes.TrimSpace(v.raw), []byte("null"))
	}
	return true
}

// str returns a parameter as a string: a JSON string is decoded, any other
// JSON value is returned as its literal text (Telegram accepts 123 and "123"
// alike).
func (p params) str(name string) string {
	v, ok := p[name]
	if !ok {
		return ""
	}
	if !v.json {
		return v.form
	}
	raw := bytes.TrimSpace(v.raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return s
		}
	}
	if bytes.Equal(raw, []byte("null")) {
		return ""
	}
	return string(raw)
}

// int64 returns an integer parameter. ok is false when the parameter is
// absent; err is set when it is present but not an integer.
func (p params) int64(name string) (n int64, ok bool, err *apiError) {
	if !p.has(name) {
		return 0, false, nil
	}
	s := strings.TrimSpace(p.str(name))
	n, perr := strconv.ParseInt(s, 10, 64)
	if perr != nil {
		// JSON clients sometimes send 1.0; Telegram accepts integral floats.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return 0, true, badRequest(fmt.Sprintf("invalid %s specified", name))
		}
		n = int64(f)
	}
	return n, true, nil
}

// boolean returns a boolean parameter; absent means false.
func (p params) boolean(name string) bool {
	switch strings.ToLower(strings.TrimSpace(p.str(name))) {
	case "true", "1", "yes", "on":
		return true
	}
	return false
}

// object decodes an object or array parameter into dest. In a JSON body it
// may be given inline or, like in forms, as a JSON-serialized string. ok is
// false when the parameter is absent or null.
func (p params) object(name string, dest any) (ok bool, err error) {
	if !p.has(name) {
		return false, nil
	}
	data := p.rawJSON(name)
	if len(data) == 0 {
		return false, nil
	}
	if bytes.Equal(data, []byte("null")) {
		return false, nil
	}
	return true, json.Unmarshal(data, dest)
}

// rawJSON returns the JSON text of an object or array parameter.
func (p params) rawJSON(name string) []byte {
	v, ok := p[name]
	if !ok {
		return nil
	}
	if !v.json {
		return bytes.TrimSpace([]byte(v.form))
	}
	raw := bytes.TrimSpace(v.raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return bytes.TrimSpace([]byte(s))
		}
	}
	return raw
}

// multipartReader reads the fields of a multipart/form-data body. File parts
// are read and discarded (their field name maps to the file name), since no
// supported method takes a file.
func multipartReader(body io.Reader, boundary string) (map[string]string, error) {
	if boundary == "" {
		return nil, errors.New("no boundary")
	}
	mr := multipart.NewReader(body, boundary)
	out := map[string]string{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, err
		}
		name := part.FormName()
		if name == "" {
			continue
		}
		if part.FileName() != "" {
			out[name] = "attach://" + part.FileName()
			continue
		}
		out[name] = string(data)
	}
}
