package content

import (
	"slices"
	"strings"
	"testing"
)

func TestNewsletterRunningText(t *testing.T) {
	src := Newsletter()
	if n := len(src.Sentences); n < 30 {
		t.Fatalf("%d sentences, want the whole page", n)
	}
	first := src.Sentences[0].Text
	if first != "比学赶超新征程　扬帆起航再出发" {
		t.Errorf("title = %q, want the doubled characters collapsed", first)
	}
	text := src.Text()
	for _, want := range []string{
		"将工作思路、工作落实、工作创新主动融入“科创宝山”战略格局", // a column break inside 工作创新
		"以优异成绩庆祝中国共产党成立100周年。1月18日，宝山区委正式通过",
		"“比学赶超”的生动局面",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("running text lacks %q", want)
		}
	}
	for _, bad := range []string{" ", "\n", "比比", "创\n新"} {
		if strings.Contains(text, bad) {
			t.Errorf("running text still contains layout %q", bad)
		}
	}
	if len(src.Sections) != 2 || src.Sections[0].Letter || !src.Sections[1].Letter {
		t.Fatalf("sections = %+v, want the article and the letter", src.Sections)
	}
	letter := src.Sections[1]
	if got := src.Sentences[letter.First].Text; got != "同志们、朋友们：" {
		t.Errorf("letter opens with %q", got)
	}
	if got := src.Sentences[letter.Last].Text; got != "张庙街道党工委、办事处" {
		t.Errorf("letter is signed %q", got)
	}
	for i, s := range src.Sentences {
		if s.Index != i {
			t.Errorf("sentence %d has index %d", i, s.Index)
		}
	}
}

func TestParseSourceSmall(t *testing.T) {
	src := ParseSource("甲甲乙乙\n第一句\n断开。第二\n\n句在这里。\n\n诸位：\n\n信的正文。\n落款")
	var got []string
	for _, s := range src.Sentences {
		got = append(got, s.Text)
	}
	want := []string{"甲乙", "第一句断开。", "第二句在这里。", "诸位：", "信的正文。", "落款"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sentences = %q, want %q", got, want)
	}
	if len(src.Sections) != 2 || src.Sections[1].First != 3 {
		t.Errorf("sections = %+v", src.Sections)
	}
	// A blank line after a sentence's end starts a paragraph; one inside
	// a sentence (第二 | 句在这里) is a column break.
	var paras []int
	for _, s := range src.Sentences {
		paras = append(paras, s.Paragraph)
	}
	if want := []int{0, 0, 0, 1, 2, 2}; !slices.Equal(paras, want) {
		t.Errorf("paragraphs = %v, want %v", paras, want)
	}
}
