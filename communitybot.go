// Package communitybot holds the domain of the Zhangmiao subdistrict
// community bot: projects and their status, replies shown to residents, and
// the error kinds every layer shares.
//
// It imports only the standard library. Each outside dependency lives behind
// its own package (storage: Redis, bot: Telegram, scheduler: cron), and
// imports point toward this package, never away from it.
package communitybot
