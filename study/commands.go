package study

import (
	"context"
	"fmt"
	"html"
	"strings"

	"github.com/zhangmiao/communitybot"
)

// The callback data prefixes of the leaderboard switches: "rank:week",
// "rank:all", "brank:week", "brank:all".
const (
	RankPrefix       = "rank"
	BranchRankPrefix = "brank"
)

// errStaleButton answers button data that means nothing (forged, or from
// an old version).
var errStaleButton = communitybot.Errorf(communitybot.ErrInvalid, "这个按钮已失效，请发送 /start 重新打开菜单。")

// Today answers /study: today's item, in a private conversation only
// (the answers are the member's own).
func (s *Service) Today(ctx context.Context, who communitybot.Caller) (communitybot.Reply, error) {
	if !who.Private() {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "每日学习请在与我的私聊中进行：点开我的头像，发送 /study。")
	}
	return s.Open(ctx, who.UserID)
}

// allTimeArg reports whether a leaderboard command asks for all time.
func allTimeArg(args string) bool {
	switch strings.ToLower(strings.TrimSpace(args)) {
	case "总", "总榜", "全部", "all", "总排行":
		return true
	}
	return false
}

// RankCommand answers /rank [总]: this week's (or all time's) top members.
func (s *Service) RankCommand(ctx context.Context, userID int64, args string) (communitybot.Reply, error) {
	return s.Rank(ctx, userID, allTimeArg(args))
}

// BranchRankCommand answers /branchrank [总].
func (s *Service) BranchRankCommand(ctx context.Context, userID int64, args string) (communitybot.Reply, error) {
	return s.BranchRank(ctx, userID, allTimeArg(args))
}

// Board answers a leaderboard switch: data is the whole callback data
// ("rank:week", "brank:all"), never trusted.
func (s *Service) Board(ctx context.Context, userID int64, data string) (communitybot.Reply, error) {
	prefix, arg, _ := strings.Cut(data, ":")
	var allTime bool
	switch arg {
	case "week":
	case "all":
		allTime = true
	default:
		return communitybot.Reply{}, errStaleButton
	}
	switch prefix {
	case RankPrefix:
		return s.Rank(ctx, userID, allTime)
	case BranchRankPrefix:
		return s.BranchRank(ctx, userID, allTime)
	}
	return communitybot.Reply{}, errStaleButton
}

func (s *Service) audit(ctx context.Context, by communitybot.Caller, action, target, detail string) {
	if s.opts.Audit != nil {
		s.opts.Audit.Record(ctx, by.Audit(action, target, detail))
	}
}

// AddCommand answers /addstudy: alone, the format to use; with an item,
// adds it. Under a once key (communitybot.WithOnceKey) the same key adds
// no second item.
func (s *Service) AddCommand(ctx context.Context, by communitybot.Caller, args string) (communitybot.Reply, error) {
	if strings.TrimSpace(args) == "" {
		return communitybot.Reply{Text: html.EscapeString(AddUsage)}, nil
	}
	it, reply, err := s.AddItem(ctx, args)
	if err != nil {
		return communitybot.Reply{}, err
	}
	s.audit(ctx, by, "addstudy", it.ID, it.Title)
	return reply, nil
}

// DeleteCommand answers /delstudy <id>.
func (s *Service) DeleteCommand(ctx context.Context, by communitybot.Caller, args string) (communitybot.Reply, error) {
	id := strings.TrimSpace(args)
	if err := s.DeleteItem(ctx, id); err != nil {
		return communitybot.Reply{}, err
	}
	s.audit(ctx, by, "delstudy", id, "")
	return communitybot.Reply{Text: "✅ 已从学习题库删除 " + html.EscapeString(id) + "。"}, nil
}

// ReloadCommand answers /reloadstudy: the content file's items read again
// (Options.Reload), on this process.
func (s *Service) ReloadCommand(ctx context.Context, by communitybot.Caller) (communitybot.Reply, error) {
	if s.opts.Reload == nil {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid,
			"现在用的是程序内置的内容，没有可以重新加载的内容文件。要用 /reloadstudy，请把环境变量 CONTENT_FILE 设为内容文件的路径并重启机器人；不重启也可以用 /addstudy 添加、/delstudy 删除学习题。")
	}
	items, err := s.opts.Reload()
	if err != nil {
		return communitybot.Reply{}, err // a content error carries the list of problems
	}
	s.SetContent(items)
	bank, err := s.Bank(ctx)
	if err != nil {
		return communitybot.Reply{}, err
	}
	s.audit(ctx, by, "reloadstudy", "内容文件", fmt.Sprintf("文件里 %d 条，题库共 %d 条", len(items), len(bank)))
	return communitybot.Reply{Text: fmt.Sprintf("✅ 已重新加载内容文件：文件里有 %d 条学习内容，题库共 %d 条。（只对处理这条命令的实例生效；多实例部署请逐个重启。）", len(items), len(bank))}, nil
}
