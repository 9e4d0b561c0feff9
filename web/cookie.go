package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CookieName is the visitor cookie: "v1.<visitor number>.<HMAC>". It
// identifies an anonymous visitor, nothing more; the signature (HMAC-SHA256
// with the server's secret) keeps one visitor from posing as another by
// changing the number.
const CookieName = "zm_visitor"

const cookieMaxAge = 365 * 24 * time.Hour

// MinSecretBytes is the shortest secret accepted for signing cookies.
const MinSecretBytes = 16

type signer struct{ key []byte }

func (s signer) mac(n int64) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("v1." + strconv.FormatInt(n, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s signer) sign(n int64) string { return "v1." + strconv.FormatInt(n, 10) + "." + s.mac(n) }

// verify returns the visitor number of a cookie value, 0 if it is not one
// this server signed.
func (s signer) verify(v string) int64 {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || parts[0] != "v1" {
		return 0
	}
	n, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || n <= 0 || n >= 1<<52 {
		return 0
	}
	if !hmac.Equal([]byte(parts[2]), []byte(s.mac(n))) {
		return 0
	}
	return n
}

// visitorCookie is HttpOnly (scripts never see it), SameSite=Lax (a
// cross-site POST carries no cookie) and Secure when the page is served
// over HTTPS.
func (s signer) cookie(n int64, secure bool) *http.Cookie {
	return &http.Cookie{
		Name: CookieName, Value: s.sign(n), Path: "/",
		MaxAge: int(cookieMaxAge.Seconds()), HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	}
}
