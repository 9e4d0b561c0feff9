package qa

import "testing"

func TestFollowUps(t *testing.T) {
	_, e := mustShipped(t)
	elevatorStatus := Context{Project: "elevator", Intent: IntentStatus}
	tests := []struct {
		name string
		q    string
		ctx  Context
		want Result // Score is ignored
	}{
		{"first question", "电梯加装进展怎么样", Context{},
			Result{ProjectID: "elevator", Intent: IntentStatus}},
		{"elliptical project inherits intent", "那架空线呢？", elevatorStatus,
			Result{ProjectID: "overhead-cables", Intent: IntentStatus, FollowUp: true}},
		{"elliptical traditional", "那架空線呢", elevatorStatus,
			Result{ProjectID: "overhead-cables", Intent: IntentStatus, FollowUp: true}},
		{"elliptical suffix only", "社区养老呢", Context{Project: "elevator", Intent: IntentSchedule},
			Result{ProjectID: "elderly-care", Intent: IntentSchedule, FollowUp: true}},
		{"elliptical with own intent needs no context", "那社区养老的进度呢", Context{Project: "elevator", Intent: IntentSchedule},
			Result{ProjectID: "elderly-care", Intent: IntentStatus}},
		{"elliptical topic keeps its own intent", "那五大行动呢", elevatorStatus,
			Result{TopicID: "five-actions", Intent: IntentAbout}},
		{"elliptical without context", "那架空线呢", Context{},
			Result{ProjectID: "overhead-cables", Intent: IntentAbout}},
		{"schedule about context project", "什么时候完成", elevatorStatus,
			Result{ProjectID: "elevator", Intent: IntentSchedule, FollowUp: true}},
		{"pronoun and schedule", "那它什么时候能完工", Context{Project: "overhead-cables", Intent: IntentStatus},
			Result{ProjectID: "overhead-cables", Intent: IntentSchedule, FollowUp: true}},
		{"status about context project", "现在到哪一步了", Context{Project: "sitang-renovation"},
			Result{ProjectID: "sitang-renovation", Intent: IntentStatus, FollowUp: true}},
		{"bare how is it going", "怎么样了？", Context{Project: "elevator"},
			Result{ProjectID: "elevator", Intent: IntentStatus, FollowUp: true}},
		{"weak status about project", "怎么样", Context{Project: "smart-bay"},
			Result{ProjectID: "smart-bay", Intent: IntentStatus, FollowUp: true}},
		{"this project schedule", "这个工程要多久", Context{Project: "elevator"},
			Result{ProjectID: "elevator", Intent: IntentSchedule, FollowUp: true}},
		{"done yet", "完工了吗", Context{Project: "elevator"},
			Result{ProjectID: "elevator", Intent: IntentStatus, FollowUp: true}},
		{"more about topic", "详细说说", Context{Topic: "five-actions"},
			Result{TopicID: "five-actions", Intent: IntentAbout, FollowUp: true}},
		{"more about topic 2", "还有呢？", Context{Topic: "positioning"},
			Result{TopicID: "positioning", Intent: IntentAbout, FollowUp: true}},
		{"more keeps intent", "具体一点", Context{Project: "elevator", Intent: IntentSchedule},
			Result{ProjectID: "elevator", Intent: IntentSchedule, FollowUp: true}},
		{"more about project", "详细说说吧🙏", Context{Project: "zhihang-parks"},
			Result{ProjectID: "zhihang-parks", Intent: IntentAbout, FollowUp: true}},
		{"schedule about topic context", "什么时候", Context{Topic: "campaign-notice"},
			Result{TopicID: "campaign-notice", Intent: IntentSchedule, FollowUp: true}},
		{"project wins for status when both set", "进展如何", Context{Topic: "people-projects", Project: "elevator"},
			Result{ProjectID: "elevator", Intent: IntentStatus, FollowUp: true}},
		{"topic wins for more when both set", "具体说说", Context{Topic: "people-projects", Project: "elevator"},
			Result{TopicID: "people-projects", Intent: IntentAbout, FollowUp: true}},
		{"new subject ignores context", "五个张庙是什么", elevatorStatus,
			Result{TopicID: "five-zhangmiao", Intent: IntentAbout}},
		{"new project with own intent", "泗塘一村什么时候改造好", elevatorStatus,
			Result{ProjectID: "sitang-renovation", Intent: IntentSchedule}},

		// No usable context: not found.
		{"schedule without context", "什么时候完成", Context{}, Result{Intent: IntentAbout}},
		{"more without context", "详细说说", Context{}, Result{}},
		{"status without context", "现在到哪一步了", Context{}, Result{}},
		{"small talk is no context", "什么时候完成", Context{Topic: "hello"}, Result{}},
		{"unknown context id", "什么时候完成", Context{Project: "no-such-project"}, Result{}},
		{"context of wrong kind", "什么时候完成", Context{Project: "five-actions"}, Result{}},
		{"invalid context intent", "详细说说", Context{Project: "elevator", Intent: Intent(42)},
			Result{ProjectID: "elevator", Intent: IntentAbout, FollowUp: true}},
		{"what else", "还有哪些？", Context{Topic: "people-projects"},
			Result{TopicID: "people-projects", Intent: IntentAbout, FollowUp: true}},
		{"off-topic with context", "天气怎么样", elevatorStatus, Result{}},
		{"off-topic schedule with context", "外卖什么时候送到", elevatorStatus, Result{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := e.Match(tc.q, tc.ctx)
			got.Score, got.QType = 0, QAny // what kind of fact is asked is tested in passage_test.go
			if !tc.want.Found() {
				if got.Answered() {
					t.Errorf("Match(%q, %+v) = %+v, want not found", tc.q, tc.ctx, got)
				}
				return
			}
			if got != tc.want {
				t.Errorf("Match(%q, %+v) = %+v, want %+v", tc.q, tc.ctx, got, tc.want)
			}
		})
	}
}
