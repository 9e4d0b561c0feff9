package communitybot

import (
	"errors"
	"time"
)

// Role is what a user may do. Roles are ordered: an admin may do what a
// member may, and a member what a resident may.
type Role string

// The three roles. A user with no stored role is a resident.
const (
	RoleResident Role = "resident"
	RoleMember   Role = "member" // 党员
	RoleAdmin    Role = "admin"  // 街道管理员
)

func (r Role) rank() int {
	switch r {
	case RoleAdmin:
		return 2
	case RoleMember:
		return 1
	}
	return 0
}

// Allows reports whether a user with role r may use something that needs
// role need.
func (r Role) Allows(need Role) bool { return r.rank() >= need.rank() }

// Label is the role's Chinese name.
func (r Role) Label() string {
	switch r {
	case RoleAdmin:
		return "管理员"
	case RoleMember:
		return "党员"
	}
	return "居民"
}

// ParseRole accepts the English and Chinese names of a role.
func ParseRole(s string) (Role, error) {
	switch s {
	case "admin", "管理员":
		return RoleAdmin, nil
	case "member", "党员":
		return RoleMember, nil
	case "resident", "居民":
		return RoleResident, nil
	}
	return "", Errorf(ErrInvalid, "角色只能是 member（党员）或 admin（管理员）。")
}

// Account is a user's stored role. Members belong to a branch (党支部 or
// 居民区).
type Account struct {
	UserID    int64
	Role      Role
	Branch    string
	GrantedBy int64
	GrantedAt time.Time
}

// RoleRefusal is why a role change was refused at the moment it was to be
// made. Storage decides it inside the script that makes the change, so no
// other change can slip in between the check and the write; the service
// turns it into a message.
type RoleRefusal string

// The refusals of a /grant, /revoke or /join.
const (
	RefusedNotAdmin  RoleRefusal = "not_admin"  // the actor is not (or no longer) an admin
	RefusedSelf      RoleRefusal = "self"       // an admin lowering their own role
	RefusedLastAdmin RoleRefusal = "last_admin" // the change would leave no admin at all
	RefusedNoRole    RoleRefusal = "no_role"    // revoking a user who is a resident already

	RefusedUnknownCode RoleRefusal = "unknown_code" // no such invite code
	RefusedUsedCode    RoleRefusal = "used_code"    // the code was used, by anyone, also by this user
	RefusedExpiredCode RoleRefusal = "expired_code" // the code is past its expiry
	RefusedVoidCode    RoleRefusal = "void_code"    // the admin who made the code is no longer an admin
	RefusedIsAdmin     RoleRefusal = "is_admin"     // an admin needs no code (the code stays unused)
	RefusedSameBranch  RoleRefusal = "same_branch"  // already a member of the code's branch (the code stays unused)
)

// RefusedError reports a RoleRefusal. It wraps ErrForbidden or ErrConflict.
type RefusedError struct{ Reason RoleRefusal }

func (e *RefusedError) Error() string { return "role change refused: " + string(e.Reason) }

// Unwrap gives the refusal's kind.
func (e *RefusedError) Unwrap() error {
	switch e.Reason {
	case RefusedNotAdmin, RefusedSelf:
		return ErrForbidden
	case RefusedUnknownCode:
		return ErrNotFound
	case RefusedUsedCode, RefusedExpiredCode, RefusedVoidCode:
		return ErrInvalid
	}
	return ErrConflict
}

// Refusal returns the RoleRefusal carried by err, if any.
func Refusal(err error) (RoleRefusal, bool) {
	var e *RefusedError
	if errors.As(err, &e) {
		return e.Reason, true
	}
	return "", false
}
