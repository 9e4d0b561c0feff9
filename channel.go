package communitybot

import "fmt"

// Channel is where a person talks to the bot. Features never see it: they
// take chat and user ids, and the id itself says which channel it belongs
// to (ChannelOf), so conversation state, flood control and tickets, all
// keyed by those ids, are kept apart per channel without a feature
// knowing of channels.
type Channel string

// Channels.
const (
	ChannelTelegram Channel = "telegram"
	ChannelWeb      Channel = "web"
)

// Web visitors get ids of their own range, WebIDBase + n for the n-th
// visitor. Telegram user ids have at most 52 significant bits and group
// ids are negative, so no Telegram id is ever in [2^52, 2^53); below 2^53
// the ids stay exact where numbers are doubles (Lua in Redis scripts,
// JavaScript). A web visitor's chat id and user id are the same number,
// as in a Telegram private chat.
const (
	WebIDBase int64 = 1 << 52
	webIDEnd  int64 = 1 << 53
)

// WebID is the chat and user id of web visitor n (n ≥ 1).
func WebID(n int64) int64 { return WebIDBase + n }

// WebVisitorNo returns n for a web visitor's id, 0 for any other id.
func WebVisitorNo(id int64) int64 {
	if ChannelOf(id) != ChannelWeb {
		return 0
	}
	return id - WebIDBase
}

// ChannelOf tells which channel a chat or user id belongs to.
func ChannelOf(id int64) Channel {
	if id > WebIDBase && id < webIDEnd {
		return ChannelWeb
	}
	return ChannelTelegram
}

// WebVisitorLabel is how staff see a web visitor: 网页访客 W-12.
func WebVisitorLabel(id int64) string { return fmt.Sprintf("网页访客 W-%d", WebVisitorNo(id)) }
