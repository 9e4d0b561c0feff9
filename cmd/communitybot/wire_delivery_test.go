package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseDeliveryConfig(t *testing.T) {
	c, err := parseConfig(env())
	if err != nil {
		t.Fatal(err)
	}
	d := c.Delivery
	if len(c.AdminIDs) != 0 || c.Outbound.Rate != 30 || c.Outbound.RedisTimeout != time.Second || d.PerChat != 1 || d.PerGroup != 20 || d.Workers != 4 || d.ClaimIdle != 30*time.Second {
		t.Fatalf("delivery defaults = %+v", d)
	}
	c, err = parseConfig(env("ADMIN_IDS", "10001, 20002;30003", "TELEGRAM_RATE", "0", "REDIS_TIMEOUT", "250ms", "DELIVERY_CLAIM_IDLE", "2s", "DELIVERY_WORKERS", "16"))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Delivery; !slices.Equal(c.AdminIDs, []int64{10001, 20002, 30003}) || c.Outbound.Rate != 0 || c.Outbound.RedisTimeout != 250*time.Millisecond || d.ClaimIdle != 2*time.Second || d.Workers != 16 {
		t.Fatalf("delivery = %+v", d)
	}
	for _, tc := range []struct{ k, v string }{
		{"ADMIN_IDS", "10001,abc"}, {"ADMIN_IDS", "-5"}, {"TELEGRAM_RATE", "-1"}, {"TELEGRAM_RATE", "x"}, {"REDIS_TIMEOUT", "1ms"}, {"DELIVERY_PER_CHAT", "x"},
		{"DELIVERY_PER_GROUP", "-1"}, {"DELIVERY_WORKERS", "1000"}, {"DELIVERY_CLAIM_IDLE", "5ms"},
	} {
		if _, err := parseConfig(env(tc.k, tc.v)); err == nil || !strings.Contains(err.Error(), tc.k) {
			t.Errorf("%s=%q: err = %v, want one naming %s", tc.k, tc.v, err, tc.k)
		}
	}
	var names []string
	for _, v := range EnvVars {
		names = append(names, v.Name)
	}
	for _, want := range []string{"ADMIN_IDS", "TELEGRAM_RATE", "REDIS_TIMEOUT", "DELIVERY_CLAIM_IDLE"} {
		if !slices.Contains(names, want) {
			t.Errorf("EnvVars lacks %s", want)
		}
	}
}
