package tgtest_test

import (
	"net/http"
	"net/http/httptest"
)

func newHTTPServer(h http.HandlerFunc) *httptest.Server { return httptest.NewServer(h) }
