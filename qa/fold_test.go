package qa

import "testing"

// TestLatinReading: Latin phrases are read into Chinese before matching —
// Hanyu Pinyin (with or without tones, spaces, tone digits) by the
// corpus's words and the question words, English by the glossary on word
// boundaries with plurals — and what nothing reads stays as typed.
func TestLatinReading(t *testing.T) {
	_, e := mustShipped(t)
	tests := []struct{ in, want string }{
		{"dang gongwei shuji shi shui", "党工委书记是谁"},
		{"danggongweishujishishui", "党工委书记是谁"},
		{"wǔ gè zhāngmiào shì shénme", "五个张庙是什么"},
		{"zhang1miao4 jie1dao4", "张庙街道"},
		{"张庙的 sige dingwei 是啥", "张庙的四个定位是啥"},
		{"What are the four positionings of Zhangmiao?", "什么是四个定位张庙"},
		{"How is the elevator installation going?", "怎么样电梯加装"},
		{"Which science parks", "哪些科创园"},
		{"Parks", "园区"},
		{"overhead cables underground", "架空线入地"},
		{"this", "这个"}, // not "th" + "is"
		{"python 咋读取 excel 文件", "python怎么读取excel文件"}, // 咋: a colloquial 怎么
		{"What's the weather like today?", "什么weathertoday"},
		{"hello", "hello"}, // an ASCII term of the knowledge
	}
	for _, tc := range tests {
		if got := e.vocab.fold(tc.in); got != tc.want {
			t.Errorf("fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestDetectOrdinal: positions a question asks for, and look-alikes that
// are none.
func TestDetectOrdinal(t *testing.T) {
	tests := []struct {
		q      string
		n      int
		points bool
		ok     bool
	}{
		{"施永根讲的第三条是啥", 3, true, true},
		{"四个定位里第二个是啥", 2, false, true},
		{"五个张庙里最后一个是哪个", OrdinalLast, false, true},
		{"一二三条分别是啥", OrdinalAll, true, true},
		{"第十个", 10, false, true},
		{"一是讲的啥", 1, true, true},
		{"能力大比武拿第一名能奖多少钱", 0, false, false},
		{"信的第一句话是什么", 0, false, false},
		{"第二阶段什么时候开始", 0, false, false},
	}
	for _, tc := range tests {
		o, ok := detectOrdinal(newQuery(Normalize(tc.q)))
		if ok != tc.ok || ok && (o.n != tc.n || o.points != tc.points) {
			t.Errorf("detectOrdinal(%q) = %+v, %v; want n=%d points=%v, %v", tc.q, o, ok, tc.n, tc.points, tc.ok)
		}
	}
}

// TestFoldColloquial: Shanghainese and Northern colloquial words become
// the standard ones the cues and the sources use; look-alikes stay.
func TestFoldColloquial(t *testing.T) {
	tests := []struct{ in, want string }{
		{"施书记讲的第三条是啥物事啊", "施书记讲的第三条是什么啊"},
		{"阿拉张庙的目标是啥事体", "我们张庙的目标是什么"},
		{"侬晓得五个张庙是啥伐", "你知道五个张庙是啥吗"},
		{"电梯加装好伐", "电梯加装好吗"},
		{"第二点讲的是啥子嘛", "第二点讲的是什么"},
		{"咋个理解宜居宜业宜游", "怎么理解宜居宜业宜游"},
		{"电梯啥辰光装好", "电梯什么时候装好"},
		{"区里为啥要搞比学赶超这个活动", "区委为啥要开展比学赶超这个活动"},
		{"我们小区里路灯坏了", "我们小区里路灯坏了"},         // 小区里 is no 区委
		{"上头组织这个活动到底想干嘛", "上头组织这个活动到底想干嘛"}, // 干嘛 keeps its 嘛
		{"电梯搞好了吗", "电梯搞好了吗"},               // 搞好 is no activity
		{"阿拉伯数字", "阿拉伯数字"},
		{"铆足劲头加快步伐", "铆足劲头加快步伐"}, // 步伐 is a word
		{"2021是啥年份", "2021年是啥年份"},
		{"2020年怎么样", "2020年怎么样"},
		{"2000元补贴", "2000元补贴"},
		{"covid2019", "covid2019"},
	}
	for _, tc := range tests {
		if got := foldColloquial(tc.in); got != tc.want {
			t.Errorf("foldColloquial(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
