package communitybot

// Reply is what the bot says in a chat, independent of Telegram's types.
// Text is Telegram HTML: every value that came from a user or from staff must
// be escaped by whoever builds the Reply (see html.EscapeString).
type Reply struct {
	Text    string
	Buttons [][]Button // inline keyboard rows; nil for none
}

// Button is one inline keyboard button. Data is the callback data, at most
// 64 bytes, and is never trusted by its receiver: handlers re-check every
// permission it implies.
type Button struct {
	Text string
	Data string
}
