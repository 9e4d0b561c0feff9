// Package content holds what the bot knows: question-and-answer topics about
// the 「比学赶超当先锋，建设科创主阵地」 campaign, the subdistrict's public
// projects (民心工程 and science parks), colloquial synonyms for matching,
// the /start menu, and the party-study bank (每日学习 items with
// multiple-choice questions).
//
// The knowledge is a YAML file (knowledge.yaml) written by the team from a
// 2021 Zhangmiao newsletter and embedded in the binary, so a deployment
// cannot run with a missing or stale copy. LoadFile reads an edited copy
// instead, and Export writes a KnowledgeBase back, so staff can add learned
// FAQ entries without a rebuild. Every load is validated: a file that would
// leave a dangling menu button or an empty answer is refused as a whole
// rather than half-served to residents.
//
// Matching questions against the knowledge lives in package qa; this
// package only loads, validates and writes it.
package content

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/zhangmiao/communitybot"
)

//go:embed knowledge.yaml
var embedded []byte

// Limits checked by Validate. Answers are bounded so that a reply with its
// header and buttons stays far below Telegram's 4096-character message limit
// and reads comfortably on a phone.
const (
	MaxAnswerRunes = 1000
	MaxTitleRunes  = 100
	MaxLabelRunes  = 32 // inline keyboard buttons truncate long labels
	MaxIDLen       = 40 // ids travel in 64-byte callback data next to a prefix
)

// Well-known topic ids the bot links to directly.
const (
	GoalsTopicID   = "goals"         // overview shown by /goals
	HelloTopicID   = "hello"         // greeting
	AboutTopicID   = "about-bot"     // what the bot can answer
	ContactTopicID = "contact-staff" // how unanswered questions reach staff
)

// CurrentVersion is the schema version this package reads and writes.
const CurrentVersion = 1

// KnowledgeBase is the whole content file. Its fields are plain data: callers
// may copy and extend it (for example append a learned FAQ Topic) and must
// then call Validate, or Export, which validates, before using it.
type KnowledgeBase struct {
	Version int

	// Fallback is the reply when no topic or project matches. It tells the
	// resident that the question is handed over to staff.
	Fallback string

	Topics []Topic

	// Projects carry only their static part and initial status; storage
	// keeps the live status once seeded.
	Projects []communitybot.Project

	// ProjectHints holds extra matching material per project id: phrases
	// that are not names of the project (so they stay out of Aliases, which
	// the bot may show) but do point to it, such as 蕰藻浜 for smart-bay.
	ProjectHints map[string]Hints

	Synonyms []Synonym
	Menu     []MenuItem

	// Study is the party-study bank (每日学习): items in the order members
	// get them.
	Study []StudyItem

	// Records are the notes staff posted about projects (/setstatus,
	// /projectnote), filled in from storage when the Q&A is built: the Q&A
	// quotes them, attributed with their date. The content file has none.
	Records []Record `yaml:"-"`
}

// Record is one note staff posted about a project.
type Record struct {
	Project string // project id
	Date    string // YYYY-MM-DD, in the bot's time zone
	Text    string
}

// Topic is one question-and-answer entry.
type Topic struct {
	ID        string   `yaml:"id"`
	Title     string   `yaml:"title"`
	Answer    string   `yaml:"answer"`              // plain text; the bot escapes it
	Questions []string `yaml:"questions,omitempty"` // example phrasings, colloquial ones too
	Keywords  []string `yaml:"keywords,omitempty"`  // distinctive terms; one is enough to claim a question
	Related   []string `yaml:"related,omitempty"`   // ids of topics or projects

	// SmallTalk marks greetings, thanks and help entries. A matcher should
	// prefer any substantive entry over them ("你好，电梯什么时候装" is about
	// the elevator), and they make poor context for follow-up questions.
	SmallTalk bool `yaml:"smalltalk,omitempty"`

	// StaffAnswered is set on an entry whose answer a staff member wrote
	// (learned from a ticket): the date of that answer, YYYY-MM-DD. The bot
	// attributes such an answer to staff with the date instead of
	// presenting it as the newsletter's.
	StaffAnswered string `yaml:"staff_answered,omitempty"`
	// About is the topic or project a staff answer belongs to (/learn onto
	// an existing entry): the conversation continues there, and the reply
	// names it.
	About string `yaml:"about,omitempty"`
}

// Hints are matching-only phrases of a project.
type Hints struct {
	Keywords  []string
	Questions []string
}

// Synonym folds colloquial variants into one canonical term. A matcher adds
// the canonical term next to the variant; it does not delete the variant.
type Synonym struct {
	Canonical string   `yaml:"canonical"`
	Variants  []string `yaml:"variants,flow"`
}

// MenuItem is one button of the /start keyboard. Exactly one of Topic and
// Project is set.
type MenuItem struct {
	Label   string `yaml:"label"`
	Topic   string `yaml:"topic,omitempty"`
	Project string `yaml:"project,omitempty"`
}

// StudyItem is one party-study item: a text to read and multiple-choice
// questions about it. It is the domain type; the file's shape is studyFile.
type StudyItem = communitybot.StudyItem

// studyFile is a study item as the content file writes it. The correct
// answer is the 1-based number of the option, as a person counts them.
type studyFile struct {
	ID        string              `yaml:"id"`
	Title     string              `yaml:"title"`
	Text      string              `yaml:"text"`
	Questions []studyQuestionFile `yaml:"questions"`
}

type studyQuestionFile struct {
	Question    string   `yaml:"question"`
	Options     []string `yaml:"options"`
	Answer      int      `yaml:"answer"`
	Explanation string   `yaml:"explanation"`
}

func (f studyFile) item() StudyItem {
	it := StudyItem{ID: strings.TrimSpace(f.ID), Title: strings.TrimSpace(f.Title), Text: strings.TrimSpace(f.Text)}
	for _, q := range f.Questions {
		it.Questions = append(it.Questions, communitybot.StudyQuestion{
			Prompt:      strings.TrimSpace(q.Question),
			Options:     cleanList(q.Options),
			Answer:      q.Answer - 1,
			Explanation: strings.TrimSpace(q.Explanation),
		})
	}
	return it
}

func studyToFile(it StudyItem) studyFile {
	f := studyFile{ID: it.ID, Title: it.Title, Text: it.Text}
	for _, q := range it.Questions {
		f.Questions = append(f.Questions, studyQuestionFile{
			Question: q.Prompt, Options: q.Options, Answer: q.Answer + 1, Explanation: q.Explanation,
		})
	}
	return f
}

// Default returns the embedded knowledge base. Each call parses afresh, so the
// caller owns the result and may modify it.
func Default() (*KnowledgeBase, error) {
	return Parse(embedded)
}

// LoadFile reads and validates a knowledge file.
func LoadFile(path string) (*KnowledgeBase, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	kb, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("content: %s: %w", path, err)
	}
	return kb, nil
}

// Parse decodes and validates a knowledge file. Errors wrap
// communitybot.ErrInvalid; their user message (communitybot.UserMessage)
// lists every problem found with the id of the offending entry, because the
// reader is a staff member fixing a file, who wants all problems at once.
func Parse(data []byte) (*KnowledgeBase, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	// A misspelled field ("keyword:") would otherwise be dropped silently
	// and the entry would just match worse.
	dec.KnownFields(true)
	var f file
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, communitybot.Errorf(communitybot.ErrInvalid, "知识库文件是空的。")
		}
		return nil, &communitybot.Error{
			Kind:    communitybot.ErrInvalid,
			Message: "知识库文件格式有误：" + err.Error(),
			Err:     err,
		}
	}
	kb := f.knowledgeBase()
	if err := kb.Validate(); err != nil {
		return nil, err
	}
	return kb, nil
}

// Topic returns the topic with the given id.
func (kb *KnowledgeBase) Topic(id string) (Topic, bool) {
	for _, t := range kb.Topics {
		if t.ID == id {
			return t, true
		}
	}
	return Topic{}, false
}

// Project returns the project with the given id. The Aliases slice is a copy,
// so changing it does not change the knowledge base.
func (kb *KnowledgeBase) Project(id string) (communitybot.Project, bool) {
	for _, p := range kb.Projects {
		if p.ID == id {
			p.Aliases = slices.Clone(p.Aliases)
			return p, true
		}
	}
	return communitybot.Project{}, false
}

// Marshal validates kb and encodes it as YAML that Parse reads back to an
// equal KnowledgeBase. Comments of the original file are not preserved.
// Only the static part and the initial status of projects are written: live
// fields (UpdatedAt, UpdatedBy) belong to storage.
func (kb *KnowledgeBase) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	if err := kb.Export(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Export validates kb and writes it to w as YAML (see Marshal).
func (kb *KnowledgeBase) Export(w io.Writer) error {
	if err := kb.Validate(); err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString("# Knowledge base of the Zhangmiao community bot, written by content.Export.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(toFile(kb)); err != nil {
		return fmt.Errorf("content: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("content: encode: %w", err)
	}
	// Write in one go so a failed encode never leaves half a file behind.
	_, err := w.Write(buf.Bytes())
	return err
}

// file is the on-disk shape. It differs from KnowledgeBase only for projects,
// whose domain type has no YAML tags and carries live fields.
type file struct {
	Version  int           `yaml:"version"`
	Fallback string        `yaml:"fallback"`
	Topics   []Topic       `yaml:"topics"`
	Projects []projectFile `yaml:"projects"`
	Synonyms []Synonym     `yaml:"synonyms,omitempty"`
	Menu     []MenuItem    `yaml:"menu,omitempty"`
	Study    []studyFile   `yaml:"study"`
}

type projectFile struct {
	ID        string   `yaml:"id"`
	Number    int      `yaml:"number"`
	Name      string   `yaml:"name"`
	Aliases   []string `yaml:"aliases,omitempty"`
	Keywords  []string `yaml:"keywords,omitempty"`
	Questions []string `yaml:"questions,omitempty"`
	Summary   string   `yaml:"summary"`
	Status    string   `yaml:"status"`
	Progress  *int     `yaml:"progress,omitempty"` // absent means no figure published
	Note      string   `yaml:"note,omitempty"`
}

func (f *file) knowledgeBase() *KnowledgeBase {
	kb := &KnowledgeBase{
		Version:  f.Version,
		Fallback: strings.TrimSpace(f.Fallback),
		Menu:     f.Menu,
	}
	for _, it := range f.Study {
		kb.Study = append(kb.Study, it.item())
	}
	for _, t := range f.Topics {
		t.ID = strings.TrimSpace(t.ID)
		t.Title = strings.TrimSpace(t.Title)
		t.Answer = strings.TrimSpace(t.Answer)
		t.Questions = cleanList(t.Questions)
		t.Keywords = cleanList(t.Keywords)
		t.Related = cleanList(t.Related)
		t.StaffAnswered = strings.TrimSpace(t.StaffAnswered)
		t.About = strings.TrimSpace(t.About)
		kb.Topics = append(kb.Topics, t)
	}
	for _, p := range f.Projects {
		progress := communitybot.NoProgress
		if p.Progress != nil {
			progress = *p.Progress
		}
		id := strings.TrimSpace(p.ID)
		kb.Projects = append(kb.Projects, communitybot.Project{
			ID:       id,
			Number:   p.Number,
			Name:     strings.TrimSpace(p.Name),
			Aliases:  cleanList(p.Aliases),
			Summary:  strings.TrimSpace(p.Summary),
			Status:   communitybot.ProjectStatus(strings.TrimSpace(p.Status)),
			Progress: progress,
			Note:     strings.TrimSpace(p.Note),
		})
		if h := (Hints{Keywords: cleanList(p.Keywords), Questions: cleanList(p.Questions)}); h.Keywords != nil || h.Questions != nil {
			if kb.ProjectHints == nil {
				kb.ProjectHints = make(map[string]Hints)
			}
			kb.ProjectHints[id] = h
		}
	}
	for _, s := range f.Synonyms {
		s.Canonical = strings.TrimSpace(s.Canonical)
		s.Variants = cleanList(s.Variants)
		kb.Synonyms = append(kb.Synonyms, s)
	}
	for i := range kb.Menu {
		m := &kb.Menu[i]
		m.Label, m.Topic, m.Project = strings.TrimSpace(m.Label), strings.TrimSpace(m.Topic), strings.TrimSpace(m.Project)
	}
	return kb
}

func toFile(kb *KnowledgeBase) *file {
	f := &file{
		Version:  kb.Version,
		Fallback: kb.Fallback,
		Topics:   kb.Topics,
		Synonyms: kb.Synonyms,
		Menu:     kb.Menu,
		Study:    []studyFile{}, // keep the section visible even when empty
	}
	for _, it := range kb.Study {
		f.Study = append(f.Study, studyToFile(it))
	}
	for _, p := range kb.Projects {
		progress := p.Progress
		h := kb.ProjectHints[p.ID]
		f.Projects = append(f.Projects, projectFile{
			ID:        p.ID,
			Number:    p.Number,
			Name:      p.Name,
			Aliases:   p.Aliases,
			Keywords:  h.Keywords,
			Questions: h.Questions,
			Summary:   p.Summary,
			Status:    string(p.Status),
			Progress:  &progress,
			Note:      p.Note,
		})
	}
	return f
}

// cleanList trims every item and turns an empty list into nil, so that
// "related: []" and a missing key compare equal after a round trip. Empty
// items are kept (as "") for Validate to report.
func cleanList(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.TrimSpace(s)
	}
	return out
}
