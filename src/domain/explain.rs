//! A pool's rules in words (issue 19, part 5): the sentences a salesperson lives by, generated
//! from the rule set itself, in Chinese (the default) or English, so that frontends and training
//! material show the rules actually in force.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::claim::ClaimEnd;
use super::lead::{Grade, Stage};
use super::rules::{ClaimMode, LeadOrder, LostLeads, Rules};

super::text_enum::text_enum! {
    /// The language of an explanation: `zh` (简体中文, the default) or `en`.
    Language {
        Zh = "zh",
        En = "en",
    }
}

impl Language {
    /// The first language of an `Accept-Language` header this service speaks, by the header's
    /// q-values (ties in the header's order); Chinese when none is.
    pub fn negotiate(header: Option<&str>) -> Language {
        let Some(header) = header else {
            return Language::Zh;
        };
        let mut ranked: Vec<(f32, usize, Language)> = Vec::new();
        for (i, part) in header.split(',').enumerate() {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "zh" => Language::Zh,
                "en" => Language::En,
                _ => continue,
            };
            if q > 0.0 {
                ranked.push((q, i, lang));
            }
        }
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.first().map_or(Language::Zh, |r| r.2)
    }
}

super::text_enum::text_enum! {
    /// Which rule a sentence states (stable, for frontends that style or pick sentences).
    RuleTopic {
        ClaimMode = "claim_mode",
        Tier = "tier",
        MaxOwned = "max_owned",
        MaxClaimsPerDay = "max_claims_per_day",
        ReclaimCooldown = "reclaim_cooldown",
        FirstFollowUp = "first_follow_up",
        NoContact = "no_contact",
        NoProgress = "no_progress",
        NoDeal = "no_deal",
        ExemptStages = "exempt_stages",
        Warning = "warning",
        Release = "release",
        LostLeads = "lost_leads",
        LeadOrder = "lead_order",
    }
}

/// One rule, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub topic: RuleTopic,
    pub text: String,
}

fn say(topic: RuleTopic, text: String) -> Sentence {
    Sentence { topic, text }
}

fn stage_name(stage: Stage, lang: Language) -> &'static str {
    match (lang, stage) {
        (Language::Zh, Stage::New) => "新线索",
        (Language::Zh, Stage::Contacted) => "已联系",
        (Language::Zh, Stage::Qualified) => "已确认需求",
        (Language::Zh, Stage::Proposal) => "方案报价",
        (Language::Zh, Stage::Negotiation) => "商务谈判",
        (Language::Zh, Stage::Won) => "赢单",
        (Language::Zh, Stage::Lost) => "输单",
        (Language::En, s) => s.as_str(),
    }
}

fn grades(list: &[Grade]) -> String {
    list.iter()
        .map(|g| g.as_str())
        .collect::<Vec<_>>()
        .join("/")
}

/// The rules of a pool as sentences, in the order a salesperson meets them: taking leads, then
/// keeping them, then giving them back.
pub fn explain(rules: &Rules, lang: Language) -> Vec<Sentence> {
    use Language::{En, Zh};
    let mut out = Vec::new();
    let per_person = rules.claim_mode != ClaimMode::Capability;
    out.push(say(
        RuleTopic::ClaimMode,
        match (rules.claim_mode, lang) {
            (ClaimMode::FirstCome, Zh) => "先到先得：池内成员都可以认领任意一条线索，先认领者得。".into(),
            (ClaimMode::FirstCome, En) => "First come, first served: any member may claim any lead; whoever claims it first gets it.".into(),
            (ClaimMode::Capability, Zh) => "按能力等级认领：每个等级有自己的持有上限、每日认领上限和可认领的线索级别。".into(),
            (ClaimMode::Capability, En) => "By capability tier: each tier has its own holding limit, daily claim limit and the lead grades it may claim.".into(),
            (ClaimMode::RoundRobin, Zh) => format!(
                "轮流分配：用“领取下一条”按顺序领取线索，最多可比领得最少的成员多领 {} 条。",
                rules.round_robin_max_ahead
            ),
            (ClaimMode::RoundRobin, En) => format!(
                "Round robin: take leads in turn with \"next lead\"; you may be at most {} ahead of the member furthest behind.",
                rules.round_robin_max_ahead
            ),
        },
    ));
    if rules.claim_mode == ClaimMode::Capability {
        for tier in &rules.tiers {
            out.push(say(
                RuleTopic::Tier,
                match lang {
                    Zh => format!(
                        "{} 级：最多持有 {} 条，每天最多认领 {} 条，可认领 {} 级线索（未分级线索所有等级都可认领）。",
                        tier.tier, tier.max_owned, tier.max_claims_per_day, grades(&tier.grades)
                    ),
                    En => format!(
                        "Tier {}: hold at most {} leads, claim at most {} a day, grades {} (ungraded leads are open to every tier).",
                        tier.tier, tier.max_owned, tier.max_claims_per_day, grades(&tier.grades)
                    ),
                },
            ));
        }
    }
    if per_person {
        out.push(say(
            RuleTopic::MaxOwned,
            match (rules.max_owned_per_user, lang) {
                (Some(n), Zh) => format!("每人最多同时持有本池 {n} 条线索（已成交的客户不计入）。"),
                (Some(n), En) => format!("You may hold at most {n} leads from this pool at a time (customers do not count)."),
                (None, Zh) => "持有线索的数量不限。".into(),
                (None, En) => "There is no limit on how many leads you hold.".into(),
            },
        ));
        out.push(say(
            RuleTopic::MaxClaimsPerDay,
            match (rules.max_claims_per_day, lang) {
                (Some(n), Zh) => format!("每人每天最多认领 {n} 条，释放线索不返还次数。"),
                (Some(n), En) => format!("You may claim at most {n} leads a day; releasing one does not give a claim back."),
                (None, Zh) => "每天认领的次数不限。".into(),
                (None, En) => "There is no daily claim limit.".into(),
            },
        ));
    }
    if rules.reclaim_cooldown_days > 0 {
        let d = rules.reclaim_cooldown_days;
        out.push(say(
            RuleTopic::ReclaimCooldown,
            match lang {
                Zh => format!("线索离开你之后 {d} 天内，你不能再次认领它。"),
                En => format!("Once a lead leaves you, you may not claim it again for {d} days."),
            },
        ));
    }
    if let Some(h) = rules.first_follow_up_hours {
        out.push(say(
            RuleTopic::FirstFollowUp,
            match lang {
                Zh => format!("认领后 {h} 小时内必须首次跟进，否则退回公海。"),
                En => format!(
                    "Follow up within {h} hours of claiming a lead, or it goes back to the pool."
                ),
            },
        ));
    }
    if let Some(d) = rules.no_contact_days {
        out.push(say(
            RuleTopic::NoContact,
            match lang {
                Zh => format!("连续 {d} 天没有跟进的线索退回公海。"),
                En => format!("A lead with no follow-up for {d} days goes back to the pool."),
            },
        ));
    }
    if let Some(n) = rules.max_follow_ups_without_progress {
        out.push(say(
            RuleTopic::NoProgress,
            match lang {
                Zh => format!("连续跟进 {n} 次而阶段没有推进的线索退回公海。"),
                En => format!("After {n} follow-ups without moving its stage forward, a lead goes back to the pool."),
            },
        ));
    }
    if let Some(d) = rules.no_deal_days {
        out.push(say(
            RuleTopic::NoDeal,
            match lang {
                Zh => format!("持有 {d} 天仍未成交的线索退回公海。"),
                En => format!("A lead held for {d} days without a deal goes back to the pool."),
            },
        ));
    }
    if !rules.exempt_stages.is_empty() {
        let sep = if lang == Zh { "、" } else { ", " };
        let names = rules
            .exempt_stages
            .iter()
            .map(|s| stage_name(*s, lang))
            .collect::<Vec<_>>()
            .join(sep);
        out.push(say(
            RuleTopic::ExemptStages,
            match lang {
                Zh => format!("处于{names}阶段的线索不会被自动收回。"),
                En => format!("Leads at the stage {names} are never taken back automatically."),
            },
        ));
    }
    if rules.warn_before_recycle_hours > 0 {
        let h = rules.warn_before_recycle_hours;
        out.push(say(
            RuleTopic::Warning,
            match lang {
                Zh => format!("退回前 {h} 小时会提醒你（但不早于期限过半之时）。"),
                En => format!("You are warned {h} hours before a lead goes back (but not before half its time is up)."),
            },
        ));
    }
    let reasons = rules
        .release_reasons
        .join(if lang == Zh { "、" } else { ", " });
    out.push(say(
        RuleTopic::Release,
        match (rules.release_requires_approval, lang) {
            (true, Zh) => format!("主动释放线索需要经理审批，并须选择原因：{reasons}（选 other 时须填写说明）。"),
            (true, En) => format!("Releasing a lead needs your manager's approval and one of these reasons: {reasons} (other needs a note)."),
            (false, Zh) => format!("可以直接释放线索，须选择原因：{reasons}（选 other 时须填写说明）。"),
            (false, En) => format!("You may release a lead at once, giving one of these reasons: {reasons} (other needs a note)."),
        },
    ));
    out.push(say(
        RuleTopic::LostLeads,
        match (rules.lost_leads, lang) {
            (LostLeads::Pool, Zh) => "标记为输单的线索退回公海。".into(),
            (LostLeads::Pool, En) => "A lead recorded as lost goes back to the pool.".into(),
            (LostLeads::Close, Zh) => "标记为输单的线索直接关闭。".into(),
            (LostLeads::Close, En) => "A lead recorded as lost is closed.".into(),
        },
    ));
    if rules.claim_mode == ClaimMode::RoundRobin {
        out.push(say(
            RuleTopic::LeadOrder,
            match (rules.lead_order, lang) {
                (LeadOrder::OldestFirst, Zh) => "先派发最早进入公海的线索。".into(),
                (LeadOrder::OldestFirst, En) => "The oldest lead in the pool is handed out first.".into(),
                (LeadOrder::BestGradeFirst, Zh) => "先派发级别最高的线索（同级先到先派，未分级最后）。".into(),
                (LeadOrder::BestGradeFirst, En) => "The best-graded lead is handed out first (oldest first within a grade, ungraded last).".into(),
            },
        ));
    }
    out
}

/// Why and when one held lead goes back, in words; `None` when it is not on its way back.
pub fn lead_deadline(
    rules: &Rules,
    recycle_at: Option<DateTime<Utc>>,
    reason: Option<ClaimEnd>,
    tz: Tz,
    lang: Language,
) -> Option<String> {
    let (at, reason) = (recycle_at?, reason?);
    let when = at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let why = match (reason, lang) {
        (ClaimEnd::RecycledNoFirstFollowUp, Language::Zh) => format!(
            "认领后 {} 小时内没有首次跟进",
            rules.first_follow_up_hours.unwrap_or_default()
        ),
        (ClaimEnd::RecycledNoFirstFollowUp, Language::En) => format!(
            "no first follow-up within {} hours of the claim",
            rules.first_follow_up_hours.unwrap_or_default()
        ),
        (ClaimEnd::RecycledNoContact, Language::Zh) => {
            format!(
                "连续 {} 天没有跟进",
                rules.no_contact_days.unwrap_or_default()
            )
        }
        (ClaimEnd::RecycledNoContact, Language::En) => format!(
            "no follow-up for {} days",
            rules.no_contact_days.unwrap_or_default()
        ),
        (ClaimEnd::RecycledNoProgress, Language::Zh) => format!(
            "连续跟进 {} 次阶段没有推进",
            rules.max_follow_ups_without_progress.unwrap_or_default()
        ),
        (ClaimEnd::RecycledNoProgress, Language::En) => format!(
            "{} follow-ups without moving its stage forward",
            rules.max_follow_ups_without_progress.unwrap_or_default()
        ),
        (ClaimEnd::RecycledNoDeal, Language::Zh) => {
            format!("持有 {} 天仍未成交", rules.no_deal_days.unwrap_or_default())
        }
        (ClaimEnd::RecycledNoDeal, Language::En) => format!(
            "held {} days without a deal",
            rules.no_deal_days.unwrap_or_default()
        ),
        _ => return None,
    };
    Some(match lang {
        Language::Zh => format!("这条线索将于 {when}（{tz}）退回公海，除非在此之前跟进：{why}。"),
        Language::En => {
            format!("This lead goes back to the pool at {when} ({tz}) unless you act first: {why}.")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_rules_read_as_the_brief_says_them() {
        let zh = explain(&Rules::default(), Language::Zh);
        let text: Vec<&str> = zh.iter().map(|s| s.text.as_str()).collect();
        assert!(
            text.contains(&"认领后 24 小时内必须首次跟进，否则退回公海。"),
            "{text:?}"
        );
        assert!(text.contains(&"连续 3 天没有跟进的线索退回公海。"));
        assert!(text.contains(&"每人最多同时持有本池 50 条线索（已成交的客户不计入）。"));
        assert!(text.contains(&"处于商务谈判阶段的线索不会被自动收回。"));
        // No deal deadline by default, so no sentence for it; and as many sentences in English.
        assert!(zh.iter().all(|s| s.topic != RuleTopic::NoDeal));
        let en = explain(&Rules::default(), Language::En);
        assert_eq!(
            en.iter().map(|s| s.topic).collect::<Vec<_>>(),
            zh.iter().map(|s| s.topic).collect::<Vec<_>>()
        );
        assert!(en.iter().any(|s| s.text
            == "Follow up within 24 hours of claiming a lead, or it goes back to the pool."));
    }

    #[test]
    fn a_changed_rule_changes_its_sentence() {
        let rules = Rules {
            first_follow_up_hours: None,
            no_deal_days: Some(30),
            max_owned_per_user: None,
            ..Rules::default()
        };
        let zh = explain(&rules, Language::Zh);
        assert!(zh.iter().all(|s| s.topic != RuleTopic::FirstFollowUp));
        assert!(
            zh.iter()
                .any(|s| s.text == "持有 30 天仍未成交的线索退回公海。")
        );
        assert!(zh.iter().any(|s| s.text == "持有线索的数量不限。"));
    }

    #[test]
    fn accept_language_picks_english_or_falls_back_to_chinese() {
        assert_eq!(Language::negotiate(None), Language::Zh);
        assert_eq!(Language::negotiate(Some("en-US,en;q=0.9")), Language::En);
        assert_eq!(
            Language::negotiate(Some("fr, en;q=0.5, zh;q=0.8")),
            Language::Zh
        );
        assert_eq!(Language::negotiate(Some("de")), Language::Zh);
        assert_eq!(Language::negotiate(Some("zh;q=0, en")), Language::En);
    }

    #[test]
    fn a_lead_s_deadline_in_words_in_the_organisation_s_time() {
        let at: DateTime<Utc> = "2026-12-08T02:00:00Z".parse().unwrap();
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let text = lead_deadline(
            &Rules::default(),
            Some(at),
            Some(ClaimEnd::RecycledNoFirstFollowUp),
            tz,
            Language::Zh,
        );
        assert_eq!(
            text.as_deref(),
            Some(
                "这条线索将于 2026-12-08 10:00（Asia/Shanghai）退回公海，除非在此之前跟进：认领后 24 小时内没有首次跟进。"
            )
        );
        assert_eq!(
            lead_deadline(&Rules::default(), None, None, tz, Language::En),
            None
        );
    }
}
