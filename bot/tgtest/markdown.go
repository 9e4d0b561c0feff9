package tgtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// mdEntity is a MarkdownV2 entity whose end has not been seen yet.
type mdEntity struct {
	kind       string // tdlib's type name, used in error texts
	arg        string // pre language
	startU16   int
	startByte  int // in the input, for error texts
	startOutAt int // in the output, for [text] used as URL
}

// mdEntityType maps tdlib's type names to Bot API entity types.
var mdEntityType = map[string]models.MessageEntityType{
	"Bold":          models.MessageEntityTypeBold,
	"Italic":        models.MessageEntityTypeItalic,
	"Underline":     models.MessageEntityTypeUnderline,
	"Strikethrough": models.MessageEntityTypeStrikethrough,
	"Spoiler":       models.MessageEntityTypeSpoiler,
	"Code":          models.MessageEntityTypeCode,
	"Pre":           models.MessageEntityTypePre,
	"PreCode":       models.MessageEntityTypePre,
	"TextUrl":       models.MessageEntityTypeTextLink,
	"CustomEmoji":   models.MessageEntityTypeCustomEmoji,
}

// ParseMarkdownV2 parses text in Telegram's MarkdownV2 parse mode and
// returns the plain text and entities, like ParseHTML. The error text
// matches what follows "Bad Request: can't parse entities: ", e.g.
// `Character '.' is reserved and must be escaped with the preceding '\'`.
//
// It follows the official server's parser: any ASCII character may be
// escaped with '\'; outside code the characters _ * [ ] ( ) ~ ` > # + - = |
// { } . ! must be escaped; inside code and pre only ` (and \) must. Lines
// starting with '>' form a block quotation ("**>" an expandable one, ended
// by "||").
func ParseMarkdownV2(text string) (string, []models.MessageEntity, error) {
	var out strings.Builder
	u16 := 0
	var stack []*mdEntity
	var ents []models.MessageEntity
	n := len(text)
	at := func(i int) byte {
		if i < n {
			return text[i]
		}
		return 0
	}

	// Block quotations.
	inQuote, quoteExpandable := false, false
	quoteStart := 0
	closeQuote := func(endU16 int) {
		if endU16 > quoteStart {
			typ := models.MessageEntityTypeBlockquote
			if quoteExpandable {
				typ = models.MessageEntityTypeExpandableBlockquote
			}
			ents = append(ents, models.MessageEntity{Type: typ, Offset: quoteStart, Length: endU16 - quoteStart})
		}
		inQuote, quoteExpandable = false, false
	}
	lineStart := true
	quoteLineEndU16 := 0 // u16 offset at the end of the last quoted line, before its newline

	for i := 0; i < n; i++ {
		c := text[i]
		if lineStart {
			lineStart = false
			inCode := len(stack) > 0 && (stack[len(stack)-1].kind == "Code" || stack[len(stack)-1].kind == "Pre" || stack[len(stack)-1].kind == "PreCode")
			switch {
			case !inCode && c == '*' && at(i+1) == '*' && at(i+2) == '>':
				if inQuote {
					closeQuote(quoteLineEndU16)
				}
				inQuote, quoteExpandable, quoteStart = true, true, u16
				i += 2
				continue
			case !inCode && c == '>':
				if !inQuote {
					inQuote, quoteStart = true, u16
				}
				continue
			case inQuote:
				closeQuote(quoteLineEndU16)
			}
		}
		if c == '\n' {
			if inQuote {
				quoteLineEndU16 = u16
			}
			lineStart = true
		}
		if inQuote && c == '|' && at(i+1) == '|' && (at(i+2) == '\n' || i+2 == n) &&
			!(len(stack) > 0 && stack[len(stack)-1].kind == "Spoiler") {
			// "||" at the end of a line ends a quotation and makes it
			// expandable.
			quoteExpandable = true
			closeQuote(u16)
			i++
			continue
		}
		if c == '\\' && at(i+1) > 0 && at(i+1) <= 126 {
			i++
			out.WriteByte(text[i])
			u16++
			continue
		}
		reserved := "_*[]()~`>#+-=|{}.!"
		if len(stack) > 0 {
			switch stack[len(stack)-1].kind {
			case "Code", "Pre", "PreCode":
				reserved = "`"
			}
		}
		if !strings.ContainsRune(reserved, rune(c)) {
			if c < utf8.RuneSelf {
				out.WriteByte(c)
				u16++
				continue
			}
			r, size := utf8.DecodeRuneInString(text[i:])
			out.WriteString(text[i : i+size])
			u16 += runeUTF16(r)
			i += size - 1
			continue
		}

		end := false
		if len(stack) > 0 {
			switch stack[len(stack)-1].kind {
			case "Bold":
				end = c == '*'
			case "Italic":
				end = c == '_' && at(i+1) != '_'
			case "Code":
				end = c == '`'
			case "Pre", "PreCode":
				end = c == '`' && at(i+1) == '`' && at(i+2) == '`'
			case "TextUrl", "CustomEmoji":
				end = c == ']'
			case "Underline":
				end = c == '_' && at(i+1) == '_'
			case "Strikethrough":
				end = c == '~'
			case "Spoiler":
				end = c == '|' && at(i+1) == '|'
			}
		}
		if !end {
			e := &mdEntity{startByte: i}
			switch c {
			case '_':
				if at(i+1) == '_' {
					e.kind = "Underline"
					i++
				} else {
					e.kind = "Italic"
				}
			case '*':
				e.kind = "Bold"
			case '~':
				e.kind = "Strikethrough"
			case '|':
				if at(i+1) != '|' {
					return "", nil, reservedErr(c)
				}
				e.kind = "Spoiler"
				i++
			case '[':
				e.kind = "TextUrl"
			case '`':
				if at(i+1) == '`' && at(i+2) == '`' {
					i += 3
					e.kind = "Pre"
					langEnd := i
					for langEnd < n && !isSpaceByte(text[langEnd]) && text[langEnd] != '`' {
						langEnd++
					}
					if i != langEnd && langEnd < n && text[langEnd] != '`' {
						e.kind = "PreCode"
						e.arg = text[i:langEnd]
						i = langEnd
					}
					// One newline right after the opening fence is skipped.
					if at(i) == '\n' || at(i) == '\r' {
						if (at(i+1) == '\n' || at(i+1) == '\r') && at(i) != at(i+1) {
							i += 2
						} else {
							i++
						}
					}
					i--
				} else {
					e.kind = "Code"
				}
			case '!':
				if at(i+1) != '[' {
					return "", nil, reservedErr(c)
				}
				e.kind = "CustomEmoji"
				i++
			default:
				return "", nil, reservedErr(c)
			}
			e.startU16 = u16
			e.startOutAt = out.Len()
			stack = append(stack, e)
			continue
		}

		// End of the innermost entity.
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		skip := u16 == e.startU16
		entity := models.MessageEntity{Type: mdEntityType[e.kind], Offset: e.startU16, Length: u16 - e.startU16}
		switch e.kind {
		case "Underline", "Spoiler":
			i++
		case "Pre", "PreCode":
			i += 2
			entity.Language = e.arg
		case "TextUrl":
			var url string
			if at(i+1) != '(' {
				url = out.String()[e.startOutAt:]
			} else {
				i += 2
				urlBegin := i
				var b strings.Builder
				for i < n && text[i] != ')' {
					if text[i] == '\\' && at(i+1) > 0 && at(i+1) <= 126 {
						b.WriteByte(text[i+1])
						i += 2
						continue
					}
					b.WriteByte(text[i])
					i++
				}
				if at(i) != ')' {
					return "", nil, fmt.Errorf("Can't find end of a URL at byte offset %d", urlBegin)
				}
				url = b.String()
			}
			if id, ok := strings.CutPrefix(url, "tg://user?id="); ok {
				if uid, err := strconv.ParseInt(id, 10, 64); err == nil {
					entity.Type = models.MessageEntityTypeTextMention
					entity.User = &models.User{ID: uid}
					break
				}
			}
			if url == "" {
				skip = true
			}
			entity.URL = url
		case "CustomEmoji":
			if at(i+1) != '(' {
				return "", nil, fmt.Errorf("Custom emoji entity must contain a tg://emoji URL")
			}
			i += 2
			urlBegin := i
			for i < n && text[i] != ')' {
				i++
			}
			if at(i) != ')' {
				return "", nil, fmt.Errorf("Can't find end of a custom emoji URL at byte offset %d", urlBegin)
			}
			id, ok := strings.CutPrefix(text[urlBegin:i], "tg://emoji?id=")
			if _, err := strconv.ParseInt(id, 10, 64); !ok || err != nil {
				return "", nil, fmt.Errorf("Invalid custom emoji URL specified")
			}
			entity.CustomEmojiID = id
		}
		if !skip {
			ents = append(ents, entity)
		}
	}
	if len(stack) > 0 {
		e := stack[len(stack)-1]
		return "", nil, fmt.Errorf("Can't find end of %s entity at byte offset %d", e.kind, e.startByte)
	}
	if inQuote {
		closeQuote(u16)
	}
	sortEntities(ents)
	plain, ents := trimText(out.String(), ents)
	return plain, ents, nil
}

func reservedErr(c byte) error {
	return fmt.Errorf("Character '%c' is reserved and must be escaped with the preceding '\\'", c)
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// sortEntities orders entities as Telegram does: by offset, longer first.
func sortEntities(ents []models.MessageEntity) {
	sort.SliceStable(ents, func(a, b int) bool {
		if ents[a].Offset != ents[b].Offset {
			return ents[a].Offset < ents[b].Offset
		}
		return ents[a].Length > ents[b].Length
	})
}

// ParseMarkdown parses text in Telegram's legacy Markdown parse mode:
// *bold*, _italic_, `code`, ```pre```, [text](url), with \ escaping only
// _ * ` [ outside entities. Entities cannot nest. Like ParseHTML it returns
// the plain text and entities, or the error text Telegram reports, e.g.
// "Can't find end of the entity starting at byte offset 4".
func ParseMarkdown(text string) (string, []models.MessageEntity, error) {
	var out strings.Builder
	u16 := 0
	var ents []models.MessageEntity
	n := len(text)
	at := func(i int) byte {
		if i < n {
			return text[i]
		}
		return 0
	}
	emitByte := func(i int) int {
		c := text[i]
		if c < utf8.RuneSelf {
			out.WriteByte(c)
			u16++
			return 1
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		out.WriteString(text[i : i+size])
		u16 += runeUTF16(r)
		return size
	}
	for i := 0; i < n; {
		c := text[i]
		if c == '\\' && (at(i+1) == '_' || at(i+1) == '*' || at(i+1) == '`' || at(i+1) == '[') {
			out.WriteByte(text[i+1])
			u16++
			i += 2
			continue
		}
		if c != '_' && c != '*' && c != '`' && c != '[' {
			i += emitByte(i)
			continue
		}
		begin := i
		endChar := c
		if c == '[' {
			endChar = ']'
		}
		i++
		isPre := false
		lang := ""
		if c == '`' && at(i) == '`' && at(i+1) == '`' {
			i += 2
			isPre = true
			langEnd := i
			for langEnd < n && !isSpaceByte(text[langEnd]) && text[langEnd] != '`' {
				langEnd++
			}
			if i != langEnd && langEnd < n && text[langEnd] != '`' {
				lang = text[i:langEnd]
				i = langEnd
			}
			if at(i) == '\n' || at(i) == '\r' {
				if (at(i+1) == '\n' || at(i+1) == '\r') && at(i) != at(i+1) {
					i += 2
				} else {
					i++
				}
			}
		}
		start := u16
		for i < n && (text[i] != endChar || (isPre && !(at(i+1) == '`' && at(i+2) == '`'))) {
			i += emitByte(i)
		}
		if i >= n {
			return "", nil, fmt.Errorf("Can't find end of the entity starting at byte offset %d", begin)
		}
		e := models.MessageEntity{Offset: start, Length: u16 - start}
		keep := e.Length > 0
		switch c {
		case '_':
			e.Type = models.MessageEntityTypeItalic
		case '*':
			e.Type = models.MessageEntityTypeBold
		case '[':
			var url string
			if at(i+1) != '(' {
				url = text[begin+1 : i]
			} else {
				i += 2
				urlStart := i
				for i < n && text[i] != ')' {
					i++
				}
				url = text[urlStart:min(i, n)]
			}
			e.Type = models.MessageEntityTypeTextLink
			e.URL = url
			if id, ok := strings.CutPrefix(url, "tg://user?id="); ok {
				if uid, err := strconv.ParseInt(id, 10, 64); err == nil {
					e.Type, e.URL, e.User = models.MessageEntityTypeTextMention, "", &models.User{ID: uid}
				}
			}
			keep = keep && url != ""
		case '`':
			e.Type = models.MessageEntityTypeCode
			if isPre {
				e.Type = models.MessageEntityTypePre
				e.Language = lang
			}
		}
		if keep {
			ents = append(ents, e)
		}
		if isPre {
			i += 2
		}
		i++
	}
	sortEntities(ents)
	plain, ents := trimText(out.String(), ents)
	return plain, ents, nil
}
