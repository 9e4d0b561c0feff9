package tgtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// maxMessageUTF16 is the longest message text Telegram accepts, counted in
// UTF-16 code units after entity parsing.
const maxMessageUTF16 = 4096

// UTF16Len returns the length of s in UTF-16 code units, the unit Telegram
// uses for message length limits and entity offsets.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += runeUTF16(r)
	}
	return n
}

// runeUTF16 is the number of UTF-16 code units that encode r. Invalid UTF-8
// decodes to U+FFFD, one unit, as in Telegram's own conversion.
func runeUTF16(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// UTF16Slice returns the part of s between UTF-16 offsets from and to, the
// way a client resolves an entity's offset and length. It clamps out-of-range
// offsets and never splits a rune.
func UTF16Slice(s string, from, to int) string {
	start, end := len(s), len(s)
	pos := 0
	for i, r := range s {
		if pos >= from && start == len(s) {
			start = i
		}
		if pos >= to {
			end = i
			break
		}
		pos += runeUTF16(r)
	}
	if start > end {
		return ""
	}
	return s[start:end]
}

// isSpaceASCII reports the whitespace Telegram trims from both ends of a
// message text.
func isSpaceASCII(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// trimText removes leading and trailing whitespace from a message text, as
// Telegram does, and shifts and clips the entities to match.
func trimText(text string, ents []models.MessageEntity) (string, []models.MessageEntity) {
	trimmedLeft := strings.TrimLeftFunc(text, isSpaceASCII)
	lead := UTF16Len(text[:len(text)-len(trimmedLeft)])
	out := strings.TrimRightFunc(trimmedLeft, isSpaceASCII)
	n := UTF16Len(out)
	var kept []models.MessageEntity
	for _, e := range ents {
		start := max(e.Offset-lead, 0)
		end := min(e.Offset+e.Length-lead, n)
		if end <= start {
			continue
		}
		e.Offset, e.Length = start, end-start
		kept = append(kept, e)
	}
	return out, kept
}

// htmlTags lists the tags Telegram's HTML parse mode accepts.
var htmlTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true,
	"a": true, "code": true, "pre": true, "blockquote": true, "tg-emoji": true,
	"tg-time": true,
}

// openTag is an HTML start tag whose end tag has not been seen yet.
type openTag struct {
	name      string
	arg       string // href, code language, emoji id or unix time
	format    string // tg-time format
	expand    bool   // blockquote expandable
	startU16  int
	childCode *openTag // a <code class="language-…"> directly inside <pre>
}

// ParseHTML parses text in Telegram's HTML parse mode. It returns the plain
// text (tags removed, entities decoded, whitespace trimmed) and the message
// entities with UTF-16 offsets. The error text matches the part of
// Telegram's "Bad Request: can't parse entities: …" description that follows
// the colon, e.g. `Unsupported start tag "div" at byte offset 0`.
//
// It follows the parser of the official Bot API server: only the tags in
// the Bot API documentation are accepted, named entities are limited to
// &lt; &gt; &amp; &quot;, numeric entities are decoded, and a lone '&' that
// starts no entity is kept as text.
func ParseHTML(text string) (plain string, entities []models.MessageEntity, err error) {
	var out strings.Builder
	u16 := 0
	emit := func(r rune) {
		out.WriteRune(r)
		u16 += runeUTF16(r)
	}
	var stack []*openTag
	var ents []models.MessageEntity

	n := len(text)
	at := func(i int) byte {
		if i < n {
			return text[i]
		}
		return 0
	}
	isSpace := func(c byte) bool {
		return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
	}

	for i := 0; i < n; {
		c := text[i]
		if c == '&' {
			if r, next, ok := decodeHTMLEntity(text, i); ok {
				emit(r)
				i = next
				continue
			}
		}
		if c != '<' {
			r, size := utf8.DecodeRuneInString(text[i:])
			emit(r)
			i += size
			continue
		}
		begin := i
		i++
		if at(i) != '/' {
			// Start tag.
			for i < n && !isSpace(text[i]) && text[i] != '>' {
				i++
			}
			if i >= n {
				return "", nil, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
			}
			name := strings.ToLower(text[begin+1 : i])
			if !htmlTags[name] {
				return "", nil, fmt.Errorf("Unsupported start tag %q at byte offset %d", name, begin)
			}
			tag := &openTag{name: name, startU16: u16}
			for at(i) != '>' {
				for i < n && isSpace(text[i]) {
					i++
				}
				if at(i) == '>' {
					break
				}
				if i >= n {
					return "", nil, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
				}
				attrBegin := i
				for i < n && !isSpace(text[i]) && text[i] != '=' && text[i] != '>' {
					i++
				}
				attr := strings.ToLower(text[attrBegin:i])
				if attr == "" {
					return "", nil, fmt.Errorf("Empty attribute name in the tag %q at byte offset %d", name, begin)
				}
				for i < n && isSpace(text[i]) {
					i++
				}
				if at(i) != '=' {
					if name == "blockquote" && attr == "expandable" {
						tag.expand = true
						continue
					}
					if i >= n {
						return "", nil, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
					}
					return "", nil, fmt.Errorf("Expected equal sign in declaration of an attribute of the tag %q at byte offset %d", name, begin)
				}
				i++
				for i < n && isSpace(text[i]) {
					i++
				}
				if i >= n {
					return "", nil, fmt.Errorf("Unclosed start tag %q at byte offset %d", name, begin)
				}
				var value strings.Builder
				if q := text[i]; q != '"' && q != '\'' {
					// An unquoted name token: letters, digits, '.', '-'.
					for i < n && (isAlnum(text[i]) || text[i] == '.' || text[i] == '-') {
						value.WriteByte(text[i])
						i++
					}
					if i >= n {
						return "", nil, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
					}
				} else {
					i++
					for i < n && text[i] != q {
						if text[i] == '&' {
							if r, next, ok := decodeHTMLEntity(text, i); ok {
								value.WriteRune(r)
								i = next
								continue
							}
						}
						value.WriteByte(text[i])
						i++
					}
					if i >= n {
						return "", nil, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
					}
					i++ // closing quote
				}
				v := value.String()
				switch {
				case name == "a" && attr == "href":
					tag.arg = v
				case name == "code" && attr == "class" && strings.HasPrefix(v, "language-"):
					tag.arg = strings.TrimPrefix(v, "language-")
				case name == "span" && attr == "class":
					tag.arg = v
				case name == "tg-emoji" && attr == "emoji-id":
					tag.arg = v
				case name == "tg-time" && attr == "unix":
					tag.arg = v
				case name == "tg-time" && attr == "format":
					tag.format = v
				}
			}
			i++ // '>'
			if name == "span" && tag.arg != "tg-spoiler" {
				return "", nil, fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", begin)
			}
			if name == "tg-emoji" {
				if _, err := strconv.ParseInt(tag.arg, 10, 64); err != nil || tag.arg == "" {
					return "", nil, fmt.Errorf("Invalid custom emoji identifier specified at byte offset %d", begin)
				}
			}
			if name == "tg-time" {
				if _, err := strconv.ParseInt(tag.arg, 10, 64); err != nil || tag.arg == "" {
					return "", nil, fmt.Errorf("Invalid Unix time specified at byte offset %d", begin)
				}
			}
			stack = append(stack, tag)
			if len(stack) > 1000 {
				return "", nil, fmt.Errorf("Too many nested entities")
			}
			continue
		}
		// End tag.
		if len(stack) == 0 {
			return "", nil, fmt.Errorf("Unexpected end tag at byte offset %d", begin)
		}
		i++ // '/'
		nameBegin := i
		for i < n && !isSpace(text[i]) && text[i] != '>' {
			i++
		}
		endName := strings.ToLower(text[nameBegin:i])
		for i < n && isSpace(text[i]) {
			i++
		}
		if at(i) != '>' {
			return "", nil, fmt.Errorf("Unclosed end tag at byte offset %d", begin)
		}
		i++
		tag := stack[len(stack)-1]
		if endName != "" && endName != tag.name {
			return "", nil, fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", begin, tag.name, endName)
		}
		stack = stack[:len(stack)-1]
		length := u16 - tag.startU16
		if tag.name == "code" && len(stack) > 0 && stack[len(stack)-1].name == "pre" && stack[len(stack)-1].startU16 == tag.startU16 {
			// <pre><code class="language-x">…</code></pre> is one pre
			// entity with a language, not two entities.
			stack[len(stack)-1].childCode = tag
			continue
		}
		if length == 0 {
			continue
		}
		if e, ok := tagEntity(tag, length); ok {
			ents = append(ents, e)
		}
	}
	if len(stack) > 0 {
		return "", nil, fmt.Errorf("Can't find end tag corresponding to start tag %q", stack[len(stack)-1].name)
	}
	sort.SliceStable(ents, func(a, b int) bool {
		if ents[a].Offset != ents[b].Offset {
			return ents[a].Offset < ents[b].Offset
		}
		return ents[a].Length > ents[b].Length
	})
	plain, ents = trimText(out.String(), ents)
	return plain, ents, nil
}

// tagEntity converts a closed HTML tag into the entity Telegram creates.
func tagEntity(tag *openTag, length int) (models.MessageEntity, bool) {
	e := models.MessageEntity{Offset: tag.startU16, Length: length}
	switch tag.name {
	case "b", "strong":
		e.Type = models.MessageEntityTypeBold
	case "i", "em":
		e.Type = models.MessageEntityTypeItalic
	case "u", "ins":
		e.Type = models.MessageEntityTypeUnderline
	case "s", "strike", "del":
		e.Type = models.MessageEntityTypeStrikethrough
	case "span", "tg-spoiler":
		e.Type = models.MessageEntityTypeSpoiler
	case "code":
		e.Type = models.MessageEntityTypeCode
	case "pre":
		e.Type = models.MessageEntityTypePre
		if tag.childCode != nil {
			e.Language = tag.childCode.arg
		}
	case "blockquote":
		e.Type = models.MessageEntityTypeBlockquote
		if tag.expand {
			e.Type = models.MessageEntityTypeExpandableBlockquote
		}
	case "tg-emoji":
		e.Type = models.MessageEntityTypeCustomEmoji
		e.CustomEmojiID = tag.arg
	case "tg-time":
		e.Type = "date_time"
	case "a":
		if tag.arg == "" {
			return e, false
		}
		if id, ok := strings.CutPrefix(tag.arg, "tg://user?id="); ok {
			if uid, err := strconv.ParseInt(id, 10, 64); err == nil {
				e.Type = models.MessageEntityTypeTextMention
				e.User = &models.User{ID: uid}
				return e, true
			}
		}
		e.Type = models.MessageEntityTypeTextLink
		e.URL = tag.arg
	default:
		return e, false
	}
	return e, true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// decodeHTMLEntity decodes the HTML entity starting at text[i] ('&'): the
// named entities lt, gt, amp and quot and decimal or hexadecimal numeric
// references. As in Telegram, the terminating ';' is optional. ok is false
// when no entity starts at i, in which case '&' is ordinary text.
func decodeHTMLEntity(text string, i int) (r rune, next int, ok bool) {
	n := len(text)
	at := func(j int) byte {
		if j < n {
			return text[j]
		}
		return 0
	}
	end := i + 1
	if at(i+1) == '#' {
		end++
		var v int64
		digits := 0
		if at(i+2) == 'x' || at(i+2) == 'X' {
			end++
			for {
				c := at(end)
				var d int64
				switch {
				case c >= '0' && c <= '9':
					d = int64(c - '0')
				case c >= 'a' && c <= 'f':
					d = int64(c-'a') + 10
				case c >= 'A' && c <= 'F':
					d = int64(c-'A') + 10
				default:
					d = -1
				}
				if d < 0 {
					break
				}
				v = v*16 + d
				digits++
				end++
				if v >= 0x10ffff {
					return 0, 0, false
				}
			}
		} else {
			for c := at(end); c >= '0' && c <= '9'; c = at(end) {
				v = v*10 + int64(c-'0')
				digits++
				end++
				if v >= 0x10ffff {
					return 0, 0, false
				}
			}
		}
		if digits == 0 || v == 0 || end-i >= 10 {
			return 0, 0, false
		}
		r = rune(v)
	} else {
		for c := at(end); c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'; c = at(end) {
			end++
		}
		switch text[i+1 : end] {
		case "lt":
			r = '<'
		case "gt":
			r = '>'
		case "amp":
			r = '&'
		case "quot":
			r = '"'
		default:
			return 0, 0, false
		}
	}
	if at(end) == ';' {
		end++
	}
	return r, end, true
}

// isWordRune reports the characters that may not touch a bot command:
// letters, digits and '_' (Telegram uses the Unicode categories, so Chinese
// characters count as letters).
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsNumber(r)
}

func isCommandByte(c byte) bool {
	return c == '_' || isAlnum(c)
}

// BotCommandEntities finds the bot commands in a user's message text the way
// Telegram does and returns their bot_command entities, with offsets and
// lengths in UTF-16 code units. A command is '/' followed by 1–64 letters,
// digits or '_', optionally followed by "@username" (3–32 characters); it
// must not be preceded or followed by a letter, digit, '_', '/', '<', '>'
// or '\'. So "/start", "你好 /help" and "/help@mybot 123" contain commands,
// "你好/help" and "a/b" do not.
func BotCommandEntities(text string) []models.MessageEntity {
	var ents []models.MessageEntity
	blocks := func(r rune) bool {
		return isWordRune(r) || r == '/' || r == '<' || r == '>' || r == '\\'
	}
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '/')
		if j < 0 {
			break
		}
		slash := i + j
		i = slash + 1
		if slash > 0 {
			prev, _ := utf8.DecodeLastRuneInString(text[:slash])
			if blocks(prev) {
				continue
			}
		}
		p := slash + 1
		for p < len(text) && isCommandByte(text[p]) {
			p++
		}
		cmdEnd := p
		if cmdEnd == slash+1 || cmdEnd-slash-1 > 64 {
			continue
		}
		end := cmdEnd
		if p < len(text) && text[p] == '@' {
			q := p + 1
			for q < len(text) && isCommandByte(text[q]) {
				q++
			}
			if l := q - p - 1; l >= 3 && l <= 32 {
				end = q
			}
		}
		if end < len(text) {
			next, _ := utf8.DecodeRuneInString(text[end:])
			if blocks(next) {
				continue
			}
		}
		ents = append(ents, models.MessageEntity{
			Type:   models.MessageEntityTypeBotCommand,
			Offset: UTF16Len(text[:slash]),
			Length: UTF16Len(text[slash:end]),
		})
		i = end
	}
	return ents
}

// MentionEntities finds the @username mentions in a user's message text the
// way Telegram marks them: '@' followed by 5–32 letters, digits or '_', not
// preceded by a letter, digit or '_' (so the "@bot" of "/help@bot" is part
// of the command, not a mention) and not followed by one. Offsets and
// lengths are in UTF-16 code units.
func MentionEntities(text string) []models.MessageEntity {
	var ents []models.MessageEntity
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '@')
		if j < 0 {
			break
		}
		at := i + j
		i = at + 1
		if at > 0 {
			if prev, _ := utf8.DecodeLastRuneInString(text[:at]); isWordRune(prev) || prev == '/' {
				continue
			}
		}
		p := at + 1
		for p < len(text) && isCommandByte(text[p]) {
			p++
		}
		if l := p - at - 1; l < 5 || l > 32 {
			continue
		}
		if p < len(text) {
			if next, _ := utf8.DecodeRuneInString(text[p:]); isWordRune(next) {
				continue
			}
		}
		ents = append(ents, models.MessageEntity{
			Type:   models.MessageEntityTypeMention,
			Offset: UTF16Len(text[:at]),
			Length: UTF16Len(text[at:p]),
		})
		i = p
	}
	return ents
}

// MessageEntities returns the entities Telegram adds by itself to a plain
// user message: bot commands and @mentions, in order of offset.
func MessageEntities(text string) []models.MessageEntity {
	ents := append(BotCommandEntities(text), MentionEntities(text)...)
	sort.SliceStable(ents, func(i, j int) bool { return ents[i].Offset < ents[j].Offset })
	return ents
}
