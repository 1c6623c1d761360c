package testenv

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// The messages GitHub answers a bad App JWT with (401). None of them repeats the token.
const (
	msgJWTUndecodable = "A JSON web token could not be decoded"
	msgJWTIssuedAt    = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	msgJWTExpired     = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	msgJWTTooFar      = "'Expiration time' claim ('exp') is too far in the future"
	msgJWTNoApp       = "Integration not found"
)

// verifyAppJWT checks an App JWT the way GitHub does: an RS256 JWS whose signature verifies with the
// public key of the App named by iss (its id, as a string or a number), iat not in the future and exp in
// the future but at most GitHubJWTMaxLifetime ahead (both with GitHubJWTClockSkew of tolerance).
func verifyAppJWT(token string, apps map[int64]*GitHubApp, now time.Time) (*GitHubApp, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New(msgJWTUndecodable)
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat json.Number     `json:"iat"`
		Exp json.Number     `json:"exp"`
	}
	if err := decodeJWTPart(parts[0], &header); err != nil || header.Alg != "RS256" {
		return nil, errors.New(msgJWTUndecodable)
	}
	if err := decodeJWTPart(parts[1], &claims); err != nil {
		return nil, errors.New(msgJWTUndecodable)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errors.New(msgJWTUndecodable)
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	id, err := strconv.ParseInt(iss, 10, 64)
	if err != nil || apps[id] == nil {
		return nil, errors.New(msgJWTNoApp)
	}
	app := apps[id]
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(app.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
		return nil, errors.New(msgJWTUndecodable)
	}
	iat, err := claims.Iat.Int64()
	if err != nil || time.Unix(iat, 0).After(now.Add(GitHubJWTClockSkew)) {
		return nil, errors.New(msgJWTIssuedAt)
	}
	exp, err := claims.Exp.Int64()
	if err != nil || !time.Unix(exp, 0).After(now.Add(-GitHubJWTClockSkew)) {
		return nil, errors.New(msgJWTExpired)
	}
	if time.Unix(exp, 0).After(now.Add(GitHubJWTMaxLifetime+GitHubJWTClockSkew)) || exp-iat > int64((GitHubJWTMaxLifetime+GitHubJWTClockSkew)/time.Second) {
		return nil, errors.New(msgJWTTooFar)
	}
	return app, nil
}

func decodeJWTPart(part string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}
