package communitybot

import "time"

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
