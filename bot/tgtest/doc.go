// Package tgtest is a fake Telegram Bot API server for end-to-end tests and
// for the bot's console mode.
//
// A Server listens on a local httptest server and speaks the HTTP/JSON
// protocol of api.telegram.org: requests go to /bot<token>/<method> (method
// names are case-insensitive) as application/json, multipart/form-data or
// application/x-www-form-urlencoded bodies or query strings, with objects
// and arrays in forms given as JSON strings; answers are
// {"ok":true,"result":…} or {"ok":false,"error_code":N,"description":…,
// "parameters":{…}} with the HTTP status equal to error_code. The real
// github.com/go-telegram/bot client, configured with
// bot.WithServerURL(srv.URL()), and a hand-written getUpdates poller work
// against it unchanged.
//
// # Playing the users
//
// The test (or the person at the console) plays the users: SendText,
// ReplyText and PressButton queue updates the way Telegram builds them
// (update_id, message_id, date, bot_command entities with UTF-16 offsets,
// callback queries carrying the bot's current message), InjectUpdate and
// InjectRaw queue anything else. Sent, WaitSent, WaitUntil, Subscribe,
// CallbackAnswers, Commands and the counters (Calls, Pending, Confirmed,
// DeliveryCount, FaultsInjected) show what the bot did.
//
// # Receiving updates
//
// getUpdates follows Telegram: updates are handed out in update_id order;
// calling it with offset N confirms and forgets every update below N (a
// negative offset keeps only the last -N); limit caps a batch; timeout makes
// it a long poll that returns as soon as an update arrives, when the timeout
// passes, when the client goes away or when the server closes. A second
// getUpdates while one is in flight ends the first with 409 "Conflict:
// terminated by other getUpdates request…"; while a webhook is set,
// getUpdates fails with 409 too. allowed_updates filters updates when they
// are created, as on Telegram (by default chat_member and reaction updates
// are left out).
//
// setWebhook makes the server POST each update as JSON to the URL, with the
// X-Telegram-Bot-Api-Secret-Token header if a secret was set, one at a time
// in update_id order; a non-2xx answer or a network error is retried with
// backoff (WithWebhookRetry) until the receiver acknowledges. A method call
// in the webhook's answer ({"method":"sendMessage",…}) is executed.
//
// # Validation
//
// Requests are validated the way Telegram validates them, with Telegram's
// error texts, so tests catch real bugs: empty texts, texts over 4096
// UTF-16 code units after entity parsing, malformed HTML, MarkdownV2 or
// Markdown ("can't parse entities: …", see ParseHTML and ParseMarkdownV2),
// callback_data outside 1–64 bytes, inline buttons without an action,
// replies to missing messages, edits of missing or foreign messages, edits
// that change nothing ("message is not modified"), unknown or already
// answered callback query ids, invalid bot commands. As on Telegram,
// editMessageText without reply_markup removes the inline keyboard. A test
// can make chats misbehave (SetBlocked: 403; Migrate: 400 with
// migrate_to_chat_id), switch on flood control (WithFloodLimits: 429 with
// retry_after) and inject faults (SetFaults: 429, 500, 502, timeouts).
//
// # Concurrency and lifetime
//
// Everything is safe for concurrent use. Close wakes every long poll and
// held request, stops webhook delivery, closes subscriber channels and does
// not hang. The package does not import "testing": console mode links it
// into the real binary.
//
// # Methods
//
// getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo,
// sendMessage, editMessageText, editMessageReplyMarkup, deleteMessage,
// answerCallbackQuery, setMyCommands, getMyCommands, deleteMyCommands,
// getChat, getChatMember, getChatAdministrators, sendChatAction. Any other
// method answers 404 "Not Found", as Telegram does for an unknown one; to
// support it, add a handler to methodTable in methods.go.
//
// # Differences from Telegram
//
//   - Webhook URLs may be http:// (Telegram requires HTTPS on ports 443,
//     80, 88 or 8443); max_connections is reported but delivery is always
//     sequential; retries are fast and never give up.
//   - Re-injecting an update_id that was already used (InjectUpdate) is
//     delivered once more even if the poller's offset is past it: it stands
//     for Telegram's at-least-once redelivery, which a real offset would
//     otherwise hide.
//   - Only bot_command entities are generated for user messages; mentions,
//     hashtags, URLs and the like are not.
//   - Flood control covers sendMessage only and uses exact sliding windows;
//     Telegram's real limits are looser for short bursts and undocumented.
//   - Text, parse_mode, entities and keyboards are checked; files, media,
//     polls, inline mode, payments, forum topics, business connections,
//     privacy mode in groups and the 48-hour edit window are not modelled.
//   - Some rarely seen error texts (invalid command descriptions, malformed
//     JSON parameters) are approximations.
package tgtest
