"""Triage failure classes found on an independent message set, tested with our own sentences.

Each class is a general way of phrasing a red flag (or a benign message) that the first rule set
missed: indirect bladder wording, incontinence euphemisms, progressive weakness, crashes, faintness
with sudden pain, fracture risk after small mishaps, durations, retractions and explanatory questions.
"""

from __future__ import annotations

import pytest

from bot.triage import Triage
from tests.conftest import assess

ESCALATE = {
    # cauda equina: retention / overflow phrased indirectly
    "bladder_awareness": (
        "emergency", ["my back went on the hill session and now I can't really tell when my bladder is full"]),
    "never_empty": ("emergency", ["since my back flared I never feel like I've finished weeing"]),
    "press_to_empty": ("emergency", ["I have to push on my tummy to get the wee out since the back pain"]),
    "cannot_go_trying": ("emergency", ["cannot pee, been straining for hours, back is agony"]),
    # cauda equina: incontinence euphemisms and bowel control
    "leak_unnoticed": ("emergency", ["I keep leaking into my knickers and honestly had no idea until I got home"]),
    "control_bowels": ("emergency", ["he hasn't been able to control his bladder since Tuesday"]),
    "no_warning": (
        "emergency", ["twice now I haven't made it to the loo, no warning whatsoever, and my back is wrecked"]),
    "learner_english": ("emergency", ["I no feel the toilet paper when I clean, my back is very bad"]),
    "seat_under_bottom": ("emergency", ["couldn't feel the loo seat under my bottom this morning"]),
    "quoted_word": ("emergency", ["my groin feels 'dead' since I hurt my back"]),
    # progressive / bilateral weakness
    "toes_both_sides": ("emergency", ["my toes keep catching on the kerb and now it's happening on both sides"]),
    "knees_buckling": ("emergency", ["my knees keep buckling on the stairs since I hurt my back, both of them"]),
    "dragging_weaker": ("emergency", ["my leg's been dragging since the weekend and it's clearly weaker today"]),
    "worse_every_run": ("emergency", ["I can barely lift my toes now, worse after every run"]),
    # one-sided stable foot slap
    "foot_slap_stable": ("urgent", ["my right foot has started to slap on the pavement, no worse than last week"]),
    # major trauma
    "car_written_off": ("emergency", ["our van was totalled on the A road last night, my lower back is killing me"]),
    "vehicle_with_adjective": ("emergency", ["got clipped by a speeding taxi while crossing, back really hurts"]),
    "handlebars": ("emergency", ["went over the handlebars on the gravel bike and landed on my spine"]),
    "metres": ("emergency", ["fell roughly 3 metres off scaffolding onto my back"]),
    "earlier_sentence_negation": ("emergency", ["No idea what to do. I fell 2 m off a wall onto my back"]),
    # AAA and kidney with confusion
    "sudden_and_clammy": (
        "emergency", ["out of the blue I got this intense back pain and went all clammy and light-headed"]),
    "kidney_confused": ("emergency", ["my grandad has burning when he pees and side pain, today he's really confused"]),
    # fracture risk after a small mishap
    "postmenopausal_step": (
        "urgent", ["she's 66 and post-menopausal, missed a step at home and now her mid back is very sore"]),
    "sat_down_heavily": ("urgent", ["I'm 79, sat down heavily on a garden chair and my back has been sore since"]),
    # persistent, severe, young athlete, stress fracture
    "season_duration": ("urgent", ["back pain since early winter and it's spring now, nothing has helped"]),
    "learner_duration": ("urgent", ["since 3 months my back hurts, same every day"]),
    "week_count": ("urgent", ["week nine of this back ache and still no change"]),
    "shuffle": ("urgent", ["I can't even stand up straight, walking is a shuffle"]),
    "young_bracket_age": ("urgent", ["my son (13) gets back pain doing walkovers in gymnastics"]),
    "mileage_numbers": ("urgent", ["went from 40 km a week to 90 km and now one side of my sacrum hurts when I hop"]),
}

BENIGN = {
    "retraction_in_message": [
        "my calf went numb - actually no, sorry, it was my hand, from leaning on it. best stretch?"],
    "retraction_next_turn": ["I think I had a temperature", "sorry, false alarm, it was just the heating being up"],
    "why_question": ["why do physios check reflexes when you have back pain?"],
    "got_to_do_with": ["what has a slipped disc got to do with leg pain?"],
    "same_as": ["is a herniated disc the same as a bulging disc?"],
    "reported_general": ["I read that numbness in both legs is an emergency, is that right?"],
    "if_my_lasted": ["if my sciatica lasted six weeks would I need a scan?"],
    "exhaustion": ["my legs buckled at the end of the marathon, I'd totally bonked. how do I fuel?"],
    "harmless_crack": ["my back made a loud crack when I twisted in yoga and felt amazing after"],
    "clothing": ["my thigh goes tingly when I wear my tight jeans, fine by the time I change"],
    "old_spondylolysis": ["had spondylolisthesis as a teenager, no problems since then, can I do hill work?"],
    "journey_resolved": ["after a long drive my legs were tingly but fine after a short walk"],
    "someone_elses_surgery": ["my neighbour had CES surgery five years ago and is fine, I just want core exercises"],
    "old_crash": ["my car got written off last year, totally unrelated, just want stretches"],
    "same_pace": ["my pace is the same as last year, how do I get faster?"],
    "crash_course": ["took a crash course in running form, any back drills?"],
    "faint_blood": ["I felt a bit faint after giving blood, can I run tomorrow?"],
    "small_jump": ["I went from 20 to 25 km a week, is that too much of a jump?"],
    "plan_week": ["week 10 of marathon training and my back feels strong"],
    "question_not_resolution": ["my bum went numb on the train home, fine once I stood up"],
}


def test_dismissal_is_not_a_retraction(rules_only: Triage) -> None:
    # "ignore that" / "never mind" take nothing back; only a corrected fact does.
    assert assess(rules_only, "numb around my bum", "never mind that, which shoes?").level == "emergency"
    assert assess(rules_only, "my legs are numb - actually no, it's both legs and my groin").level == "emergency"


def test_retraction_only_reaches_back_a_few_words(rules_only: Triage) -> None:
    text = ("I can't feel my privates and my back is bad and I've been trying stretches all week "
            "with my coach at the club - actually no, it was last week I saw him")
    assert assess(rules_only, text).level == "emergency"


def test_reported_speech_with_an_owner_is_a_report(rules_only: Triage) -> None:
    assert assess(rules_only, "my physio said my foot drop is getting worse").level == "emergency"
    assert assess(rules_only, "the doctor told me I have osteoporosis and my back hurts").level == "urgent"


def test_is_this_normal_is_not_a_resolution(rules_only: Triage) -> None:
    assert assess(rules_only, "can't feel my bits when I wash, is this normal after a race?").level == "emergency"


def test_negation_does_not_cross_a_clause_break_inside_a_phrase(rules_only: Triage) -> None:
    result = assess(rules_only, "my foot drags, it was not there before and it is much worse today")
    assert result.level == "emergency"


def test_negation_does_not_reach_into_the_next_sentence(triage) -> None:
    result = triage.assess(["There are no rules here. My legs are both going weak and numb"])
    assert result.level == "emergency"
    assert triage.assess(["No numbness. Just a dull ache after hills"]).level == "none"


# Second round: classes missed on the v3 blind set (since tuned on, now in evals/sets), tested with our own wording.
ESCALATE_2 = {
    "groin_asleep": ("emergency", ["the insides of my thighs have gone to sleep since this morning, back is sore too"]),
    "jargon_hypoaesthesia": ("emergency", ["LBP for a week, now perianal hypoesthesia on the left"]),
    "incomplete_voiding": ("emergency", ["since the back spasm, bladder emptying feels incomplete"]),
    "learner_no_feel": ("emergency", ["my back is very bad and I do not feel the skin around my bottom"]),
    "simile_not_explanation": ("emergency", ["it feels like I have been sitting on a bag of ice, numb down there"]),
    "lived_question": (
        "emergency", ["is it normal to wet yourself a little after a back injury? it keeps happening since Sunday"]),
    "legs_no_strength": ("emergency", ["both my legs are without strength and weaker every day"]),
    "heavy_but_worsening": ("emergency", ["my legs feel heavy and weak, much worse than last week, back is bad"]),
    "either_foot": ("emergency", ["I can't lift either foot off the floor properly since my back went"]),
    "weak_then_worse": (
        "emergency", ["my ankle was only slightly weak on monday, now I can't dorsiflex my right ankle"]),
    "horse": ("emergency", ["the pony bucked me off and I landed on my back"]),
    "quad_bike": ("emergency", ["came off the quad on the hill and rolled it, my back is sore"]),
    "stairs": ("emergency", ["my dad went down a flight of stairs on his back last night"]),
    "collapse_seconds": (
        "emergency", ["he went down for a couple of seconds with sudden back pain, pale and sweating"]),
    "tight_chest": ("emergency", ["my back hurts between the shoulders and I have a tight chest"]),
    "month_and_a_half": ("urgent", ["a month and a half of back pain and it's not improving"]),
    "creeping_up": ("urgent", ["eight weeks into rehab and the pain is creeping up not down"]),
    "hyphen_age": ("urgent", ["our 13-year-old gymnast says her back hurts when she arches"]),
    "bones_weak": ("urgent", ["she is 72 and her bones are fragile, sudden back pain while gardening"]),
    "cough_fit": ("urgent", ["I'm 81 and my back started hurting after a coughing fit"]),
    "under_eating": (
        "urgent", ["my mileage doubled, I'm not eating enough and my sacrum hurts when I land off a kerb"]),
    "big_toe_weaker": ("urgent", ["my left big toe is weaker when I push up since the sciatica started"]),
}

BENIGN_2 = {
    "old_healed_fracture": ["I broke my coccyx in 2009, fully healed, how do I build mileage?"],
    "old_kidney_stone": ["I passed a kidney stone five years ago, no problems since. does hydration matter for runs?"],
    "old_disc_surgery": ["had a herniated disc operated on years ago, pain-free ever since, best core routine?"],
    "hay_fever": ["my hay fever makes me sneeze all morning and my back gets sore, tips?"],
    "normal_temperature": ["I thought I had a temperature but it was 36.6 after my hot bath, back is just stiff"],
    "mattress": ["my back only aches at night on my old mattress, fine in hotel beds"],
    "cold_feet": ["my toes go numb on icy winter runs and come back once I'm home and warm"],
    "laces": ["sorry, that came out wrong - it was just my feet numb from tight laces, all fine now"],
    "slept_funny": ["slept awkwardly on the couch, leg was dead for a minute then totally normal"],
    "ice_bath_legs": ["my legs went tingly in the ice bath, back to normal once I warmed up"],
    "say_i": ["say I slipped on a wet track and hurt my back, how would I know it was broken?"],
    "if_burned": ["if my pee burned and my back ached, would that be a UTI?"],
    "informational_weaken": ["can long courses of steroids weaken bones? asking after my asthma review"],
    "correction_age": ["my daughter's back hurt when she leaned back", "sorry, correction: she's 35 not 15"],
    "meant_fingers": ["tingling down there on my run", "oops I meant my fingers, they tingle in the cold"],
}


def test_history_that_is_back_counts_again(rules_only: Triage) -> None:
    text = "had a stress fracture in 2019, fully healed, but it came back this week"
    assert assess(rules_only, text).level == "urgent"


def test_cancer_history_counts_even_when_resolved(rules_only: Triage) -> None:
    result = assess(rules_only, "had breast cancer ten years ago, fully recovered, my back has ached for weeks")
    assert result.level == "urgent"


def test_real_words_are_not_fuzzy_corrected(triage: Triage) -> None:
    # "stinging" is one edit-ish step from "tingling"; correcting it invented a cauda equina symptom.
    assert "stinging" in triage.normalise("stinging when I pee")
    result = assess(triage, "pain under my ribs on the right going to my back, a temperature and stinging when I pee")
    assert result.level == "urgent"


def test_case_bank_catches_a_paraphrase_of_a_labelled_case(triage: Triage) -> None:
    # No lexicon rule covers a wee that "just trickles out"; labelled retention cases do.
    message = "my wee just trickles out since I hurt my back and I have to wait ages"
    assert Triage().assess([message]).level == "none"  # the rules alone miss it
    assert triage.backstop is not None and triage.backstop.bank is not None
    hit = triage.backstop._check_bank(triage.embedder.encode_query(message))
    assert hit is not None and hit.category == "cauda_equina"
    assert assess(triage, message).level == "emergency"


@pytest.mark.parametrize("message", ["my back hurts", "lower back pain", "my back is killing me after the marathon",
                                     "hurt my back lifting", "my back hurts, what should I do?"])
def test_case_bank_leaves_plain_back_pain_alone(triage: Triage, message: str) -> None:
    assert assess(triage, message).level == "none"


# Third round: classes missed on the v4 blind set (since tuned on, now in evals/sets), own wording.
ESCALATE_3 = {
    "legs_have_gone_weak": ("emergency", ["both my legs have gone weak since yesterday and my back is bad"]),
    "legs_both_weak_learner": ("emergency", ["my leg are both weak from two day, back pain too"]),
    "legs_disobey": ("emergency", ["my legs won't listen to me and it's getting worse since my back went"]),
    "day_by_day": ("emergency", ["Day 2: foot a bit weak. Day 4: it drags on every step. back still sore"]),
    "spreading_to_whole_leg": (
        "emergency", ["numb patch on my shin on Monday, now it's the whole lower leg and it's weaker"]),
    "towel_simile": ("emergency", ["it's like I'm sitting on a thick towel that isn't there, since my back flared"]),
    "cheeks_asleep": ("emergency", ["my bum cheeks and in between feel like they've fallen asleep and it won't go"]),
    "bowel_sensation": ("emergency", ["I couldn't tell if anything was coming out on the loo, back is bad"]),
    "urge_missing": ("emergency", ["I haven't been able to tell whether I need a wee since I hurt my back"]),
    "slow_stream": ("emergency", ["since the back spasm my pee is way slower and takes ages before anything comes"]),
    "crushed_chest": ("emergency", ["mid run my chest felt crushed and I couldn't get my breath, back aches"]),
    "calf_raise": ("urgent", ["since my back went I can't do a single-leg calf raise on the right"]),
    "one_leg_weaker_stairs": ("urgent", ["my left leg has felt a bit weaker on stairs since my back twinged"]),
    "folded_in_half": ("urgent", ["I'm folded in half with back pain, getting to the bathroom takes me ten minutes"]),
    "bare_age_knock": ("urgent", ["81 and still jogging! bumped into a door frame and my back has hurt since"]),
    "weight_eating_same": ("urgent", ["dropped 7kg since summer, eating the same as always, and my back aches"]),
    "worse_every_few_days": ("urgent", ["stopped running a month ago and the back ache gets worse every few days"]),
}

BENIGN_3 = {
    "friend_cancer": ["my mate had bowel cancer last year and I'm pacing her at parkrun, any tips?"],
    "aunt_osteoporosis": ["my nan has osteoporosis and I'm 25, how do I keep my bones strong with running?"],
    "race_fever": ["marathon fever has hit our club! how long should my taper be?"],
    "short_steroid_course": ["I'm on a 7-day course of prednisolone for a chest infection, ok to jog?"],
    "why_runners_question": ["why do young female runners who skip meals get stress fractures?"],
    "one_trip": ["caught my foot on a kerb once last month, no pain at all, just embarrassing"],
    "small_shoes": ["my toes went numb in shoes half a size too small, fine after I took them off"],
    "sore_quads_fine_now": ["after the marathon my quads were so sore I could barely walk, all fine now"],
    "years_young": ["82 years young and still running, how many rest days a week?"],
    "legs_gone_heavy_after_race": ["my legs have gone heavy after the half marathon, normal?"],
}


# Fourth round: classes missed on the v5 blind set (since tuned on, now in evals/sets), own wording.
ESCALATE_4 = {
    "saddle_like_cardboard": ("emergency", ["since my back went the skin between my legs feels like cardboard"]),
    "saddle_sort_of_dead": ("emergency", ["my back locked up and my privates feel kind of dead now"]),
    "pins_and_needly": ("emergency", ["my bum and inner thighs have gone all pins-and-needly since the long run"]),
    "someone_elses_bottom": (
        "emergency", ["sitting on the toilet feels like sitting on somebody else's bum, back sore"]),
    "cycling_numb_still_there": (
        "emergency", ["after a spin class my crotch went numb and it's still numb hours later, back aches"]),
    "erection_gone": ("emergency", ["not been able to get an erection since my back went last week"]),
    "waterworks": ("emergency", ["my dad's back is bad and he's having trouble with his waterworks"]),
    "bear_down": ("emergency", ["I've got to bear down hard to get a wee going since my back spasm"]),
    "nothing_is_coming": ("emergency", ["I sit on the toilet to pee and nothing is coming, my back is very bad"]),
    "stop_start_stream": ("emergency", ["back's wrecked and my pee stream stops and starts now"]),
    "never_know_finished": ("emergency", ["I never know any more whether I've finished peeing, back is killing me"]),
    "accident_not_felt": (
        "emergency", ["had an accident in the car, a poo, and I hadn't felt a thing, back aching all week"]),
    "feet_harder_to_lift": ("emergency", ["it's getting harder every day to lift my feet and my back hurts"]),
    "trainer_clips_kerb": (
        "emergency", ["my shoe keeps clipping the kerb and it's worse each day, back has been bad for a week"]),
    "both_feet_slapping": ("emergency", ["my left foot slaps when I walk and now the right one's doing it too"]),
    "two_legs_no_strength": ("emergency", ["my two legs have no strength since yesterday and my back is painful"]),
    "clinician_power_grades": (
        "emergency", ["nurse here: my dorsiflexion power was 4/5 on Tuesday and it's 3/5 today"]),
    "weekday_progression": (
        "emergency", ["my leg gave way once on Friday, twice on Saturday, and today I can hardly lift my foot"]),
    "belly_has_a_pulse": ("emergency", ["my tummy feels like it has its own heartbeat and my back suddenly hurts"]),
    "holding_chest": ("emergency", ["my running partner is clutching his chest and says his back hurts"]),
    "thrown_onto_kerb": ("emergency", ["a cyclist hit me and I was thrown onto the kerb, lower back very sore"]),
    "off_e_scooter": ("emergency", ["I fell off my e-scooter going fast and landed on my back"]),
    "night_stronger": ("urgent", ["the pain does not go with rest and at night it becomes stronger"]),
    "weight_without_even_trying": ("urgent", ["I'm losing weight without even trying and my back has been sore"]),
    "folded_cannot_step": ("urgent", ["he's folded over and can't take a single step without yelling"]),
}

BENIGN_4 = {
    "if_one_day": ["if one day I could not hold my pee, what would that mean for my back?"],
    "is_x_a_sign_of": ["is a fever with back ache a sign of a kidney infection? it's for a first aid course"],
    "uti_sorted": ["had a kidney infection last month, antibiotics sorted it, all good now. ok to race?"],
    "op_years_before": ["my wife had surgery for cauda equina six years before and is fine, can she jog?"],
    "club_woman_sacral": ["a girl in my club has a sacral stress fracture; I'm a man with no pain, prevention tips?"],
    "disc_fine_now": ["I had a slipped disc a few years ago, it's fine now. can I start running again?"],
    "on_and_off_years": ["my lower back has been on-and-off for about 5 years, is jogging good for it?"],
    "cross_training_numb_gone": ["my bum went numb on the spin bike during cross-training, fine once I stood up"],
}


# Fifth round: classes missed on the v6 blind set (since tuned on, now in evals/sets), own wording.
ESCALATE_5 = {
    "weight_reason_first": ("urgent", ["eating more than ever but I've dropped 6kg since spring, and my back aches"]),
    "dragging_more_every_day": ("emergency", ["my left foot is dragging more every day and my back is sore"]),
    "each_day_worse": ("emergency", ["since Friday I can barely lift my right foot, each day it's worse"]),
    "noticeably_worse": ("emergency", ["my leg felt weak on Monday and today it is noticeably weaker, back hurts"]),
    "once_yesterday_more_today": (
        "emergency", ["keep catching my toes on kerbs, it happened 4 times today and yesterday only once"]),
    "press_to_pass": ("emergency", ["back pain since Sunday and I must press on my belly to pass urine"]),
    "not_managed_to_pee": ("emergency", ["I haven't managed to pee all day and my back went yesterday"]),
    "no_idea_if_needs": ("emergency", ["she says she has no idea whether she needs a wee any more, back is bad"]),
    "where_you_sit": ("emergency", ["the bits I'd sit on a saddle with feel muted and odd since my back flared"]),
    "foot_not_clearing": ("urgent", ["my right foot isn't clearing the ground properly on runs, back is tight"]),
    "hop_ouch": ("urgent", ["deep pain at the bottom of my spine, hopping = ouch, ramped up my miles for a marathon"]),
    "bulge_in_artery": (
        "emergency", ["he was told he has a bulge in the main artery in his belly and now has sudden bad back pain"]),
}

BENIGN_5 = {
    "relative_cancer_charity": ["my dad had bowel cancer, I'm running a charity 10k for him - tips for my back?"],
    "relative_aneurysm_own_back": ["my nan had an aneurysm fixed years ago; I'm 30, should I worry about my back?"],
    "teammate_spondylolysis": ["my teammate has spondylolysis, what training do people with it usually do?"],
    "raise_the_risk": ["does low energy availability raise the risk of stress fractures? writing a blog post"],
    "resolved_since_month": ["my back locked up in March and I couldn't straighten up, totally fine since April"],
    "pace_off_a_cliff": ["my pace fell off a cliff after 30k and my back felt tired, normal?"],
    "is_it_true_fever": ["is it true a fever with back pain can mean an infection? reading up for a coaching course"],
    "near_miss": ["nearly got hit by a van on my run, it didn't touch me, any hi-vis tips?"],
    "if_i_went_on_steroids": ["if I went on steroids for my asthma, would running hurt my bones?"],
    "numb_after_drive": ["my bum went numb on the drive to the race but was back to normal after a few minutes"],
    "club_member_old_fall": ["a lad at my club broke his back falling off a wall years ago and still runs ultras"],
    "old_op_fine_decade": ["had a disc op years ago, completely fine for a decade now, ok to do an ultra?"],
    "someone_cannot_feel_wipe": ["just curious - if someone can't feel it when they wipe, what does that mean?"],
}

# Round 6: classes from blind set v7's misses, each tested in our own words.
ESCALATE_6 = {
    "knocked_flying_by_car": (
        "emergency", ["a car knocked me flying at a crossing on my run, my back is sore but I walked home"]),
    "legs_buckle_since": (
        "emergency", ["since Saturday my legs keep buckling on stairs, both of them, after I hurt my back on a run"]),
    "chest_tight_to_jaw": ("emergency", ["my chest went very tight out of nowhere and the pain moved up into my jaw"]),
    "not_working_down_there": (
        "emergency", ["things have stopped working down there in the bedroom and my lower back is bad"]),
    "fever_cannot_think": (
        "emergency", ["side pain under my ribs, a fever, and I can't think straight, keep dozing off"]),
    "other_leg_same_thing": ("emergency", ["my left calf has had pins and needles since my back went",
                                           "today the right one started doing the same thing"]),
    "clothes_hanging_off": ("urgent", ["my jeans are hanging off me and I'm not dieting, my back aches all the time"]),
    "toilet_paper_not_felt": ("emergency", ["back pain, and I do not feel the toilet paper when I wipe my bottom"]),
    "not_my_skin": ("emergency", ["low back ache and my bum feels like it is not my skin"]),
    "triple_a_jargon": ("emergency", ["sudden severe back pain, 70M, known AAA on follow-up"]),
    "near_syncope": ("emergency", ["abrupt severe back pain through to my belly, near syncope"]),
    "dribbling_stream": ("emergency", ["when I pee the stream only dribbles now and my back has been sore for a week"]),
    "weeks_not_budging": ("urgent", ["my back has hurt for about 7 weeks now, not shifting at all",
                                     "any stretches you would suggest?"]),
    "question_is_not_an_explanation": ("urgent", ["my back has ached for 9 weeks now with no improvement",
                                                  "would cross training help while I wait for a physio slot?"]),
}

BENIGN_6 = {
    "relative_cancer_should_i": ["my aunt had ovarian cancer; should I get screened as a runner? my back is fine"],
    "relative_osteoporosis_should_i": ["my nan has osteoporosis, should I do more strength work to protect my bones?"],
    "relative_aneurysm_am_i": ["my father had an aneurysm repaired, am I more at risk? 40M, no symptoms"],
    "relative_cancer_doing_well": [
        "my sister beat breast cancer and she's doing brilliantly now. I'm running a 10k for her"],
    "charity_race_named_for_cancer": ["did a breast cancer awareness 10k on sunday, my back was a bit stiff after"],
    "not_literally_broken": [
        "that tempo session 'broke' my back, not literally, just tired. how often should I do them?"],
    "recovered_now_is_history": [
        "had a high fever in January with a chest infection, fully recovered now; back is fine"],
    "relative_hit_years_ago": ["my cousin was hit by a bus years ago, so I'm nervous on roads. best reflective gear?"],
}

# Round 7: classes from blind set v8's misses, each tested in our own words.
ESCALATE_7 = {
    "each_day_weaker_buckles_walking": (
        "emergency", ["each day my left leg gets a bit weaker, noticed it on a run, now it gives way just walking"]),
    "rear_end_kinda_numb": ("emergency", ["since Sunday's race my rear end feels kinda numb, back is tight"]),
    "motorbike_knocked_me": (
        "emergency", ["out jogging when a moped came out of a driveway and knocked me over, my back is bruised"]),
    "hit_kerb_with_back": ("emergency", ["tripped over a cyclist and hit the kerb with my lower back, really sore"]),
    "pee_not_come": ("emergency", ["my back very painful, I want to pee but pee is not coming, bladder is full"]),
    "skin_sleeping_touch_nothing": (
        "emergency", ["back hurt 3 days, the skin round my bottom is like sleeping, I touch it and feel nothing"]),
    "boiling_then_freezing": ("urgent", ["back aching and I'm boiling one minute, shivering the next, since Tuesday"]),
    "worse_than_days_ago": (
        "emergency", ["my right foot is dragging and it's clearly worse than 3 days ago, back sore"]),
    "weeks_then_worse_later_turn": (
        "urgent", ["back pain started after a trail race", "about six weeks ago now",
                   "I stopped running completely and it's worse than it was at the beginning"]),
}

BENIGN_7 = {
    "fear_of_named_condition": ["I'm scared of getting cauda equina, I have none of the symptoms, just a stiff back"],
    "pace_collapsed": ["my 10k times have totally collapsed this month, legs feel dead, back is fine. overreaching?"],
    "relative_past_fall_resolved": [
        "my dad (81) fell and broke his wrist last winter, fully recovered now. should I worry about my bones? I'm 45"],
    "then_totally_fine": [
        "years ago my back locked for two days after moving house, then completely fine. tips for a first 10k?"],
    "healed_in_next_sentence": [
        "in 2021 I had a stress fracture in my shin. Fully healed, no pain since. How do I avoid another?"],
    "numb_on_hard_seats_aside": [
        "my bum went numb on the plastic seats at the football (3 hours!) but was normal once I stood up. back ok"],
    "old_collision_fine_after_rehab": [
        "was knocked off my bike by a car at 22, fine after physio. now 50, can I start running?"],
}

# Round 8: classes from blind set v9's misses, each tested in our own words.
ESCALATE_8 = {
    "worse_than_a_weekday": (
        "emergency", ["my right foot went a bit floppy on Tuesday", "now I can't lift it, worse than Tuesday"]),
    "young_extends": (
        "urgent", ["15 year old gymnast, one-sided low back pain whenever she extends, worse after training"]),
    "thermometer_number": (
        "urgent", ["back sore since the race", "woke up soaked and shivering, the thermometer says 38.6"]),
    "no_urge_by_the_clock": (
        "emergency", ["back flared up this week and I don't really get the urge to pee now, I go by the clock"]),
    "fever_after_a_swim": (
        "urgent", ["fever and chills for 4 days and my low back hurts, maybe from the lake swim after my run?"]),
    "chest_squeezing": (
        "emergency", ["mate my chest is doing this weird squeezing thing and my back aches, sweating loads"]),
    "pee_pinkish_no_separator": (
        "urgent", ["pain in my side under the ribs in waves and my wee looked reddish no food that does that"]),
    "clinical_loin_confused": ("emergency", ["71M, pyrexial, L loin pain, dysuria, GCS 13 per daughter"]),
    "catches_toe_more": ("urgent", ["my athlete catches his left toe on hurdles more since his back tweak last month"]),
    "ca_shorthand_nocturnal": ("urgent", ["55M, PMHx prostate ca 2015, 6/52 nocturnal lumbar pain"]),
    "wobbly_legs_fell_over": (
        "emergency", ["my daughter says both her legs are 'wobbly' and she fell over at school, back sore"]),
}

BENIGN_8 = {
    "chills_at_the_finish": [
        "got proper chills as I crossed the finish line, back a bit achy from the hills. recovery tips?"],
    "doubled_over_lactic": [
        "I was doubled over at the end of my 800m rep but fine 2 minutes later, just lactic. normal?"],
    "fainted_at_the_price": ["nearly fainted when I saw the entry fee lol. how do I keep my back happy on long runs?"],
    "video_game_crash": ["crashed into a car... in Gran Turismo 😂 anyway, good core exercises for runners?"],
    "xrays_clear_right_as_rain": [
        "fell on ice in February, x-rays were clear, right as rain for months. ok to race trails?"],
    "stories_about_named": [
        "my friend keeps telling stories about cauda equina so I worry, but I have no symptoms at all"],
    "teaching_named": ["what share of suspected CES scans are negative? preparing a lecture for physio students"],
    "tv_saddle": ["saw a saddle anaesthesia storyline in a hospital drama, is that a real thing?"],
    "toddler_at_night": ["my back aches at night... because the baby sleeps on me and kicks all night. stretches?"],
    "healed_pain_free_now": [
        "had a pelvic stress fracture 3 years ago, completely healed, running pain-free now. prevention tips?"],
    "typo_days_not_weeks": ["my calf has been tight for 5 weeks", "sorry typo, 5 days not weeks. stretches?"],
    "toilet_queue": ["couldn't wee before the start because the loo queue was huge, how do people manage that?"],
    "pothole_knee": ["my knee gave way when I stepped in a pothole, twisted my ankle a bit. back fine. how long off?"],
    "kidney_stone_passed": [
        "had a kidney stone 2 years ago, passed on its own. no symptoms now. does running raise the risk?"],
    "arch_without_pain": [
        "my son (13) was a bit sore after football, fine next day and he can arch back without any pain"],
}

# Round 9: classes from blind set v10's misses, each tested in our own words.
ESCALATE_9 = {
    "whole_flight_of_stairs": (
        "emergency", ["asking for my dad, he's 78", "he went down an entire flight of stairs today, his back hurts"]),
    "did_not_know_gone": (
        "emergency", ["back's wrecked since Saturday and I honestly didn't know I'd gone until I saw the toilet"]),
    "not_feel_a_poo": ("emergency", ["is it normal to not feel anything when I poo? back very sore after my ultra"]),
    "legs_not_mine": (
        "emergency", ["both my legs feel like they are not mine since yesterday, back pain after my run"]),
    "strange_feeling_privates": (
        "emergency", ["strange feeling in my private area since this morning and my back is very bad"]),
    "coach_cut_training": (
        "urgent", ["my athlete has had back pain for 6 weeks; we cut her training to nothing and it is not improving"]),
    "weight_dropping_eating_loads": (
        "urgent", ["my weight keeps going down even though I eat loads, and my back aches all the time"]),
    "land_every_stride_comma": ("urgent", ["deep ache low in my back on the right, every time I land a stride"]),
    "weak_to_buckling": (
        "emergency", ["in 3 days my right leg went from a bit weak to buckling under me on the stairs, back hurts"]),
}

BENIGN_9 = {
    "plain_walk_down_stairs": ["I went down the stairs this morning and my back felt stiff, normal after long runs?"],
    "chafing_feeling_normal": [
        "odd feeling in my groin after the marathon",
        "to be clear it's chafing from my shorts, the feeling is completely normal. anti-chafe tips?"],
    "none_since": ["had sciatica once, 5 years back, none since. any stretches to keep it that way?"],
    "relative_fever_last_week": [
        "my sister had a fever last week with a cold, she's fine now. I'm fine too, ok to run?"],
    "read_about_tumours": [
        "I've read about tumours online and scared myself, but my back is just sore from a first 10k"],
    "stress_incontinence_diagnosed": [
        "since my first baby I leak a little when I jump; my physio says it's stress incontinence. best exercises?"],
    "first_run_in_years": ["did my first parkrun in years on Saturday and my back was a bit stiff after. normal?"],
}


# Round 10, from blind set v11 (our own wording for each class it missed).
ESCALATE_10 = {
    "shower_felt_like_nothing": ("emergency", [
        "washing in the shower, my inner thighs and between my legs felt like nothing, back sore since Friday"]),
    "gone_in_pants": ("emergency", [
        "my back has been agony for days and this morning I'd gone in my underwear before I knew it"]),
    "nothing_comes_out_bursting": ("emergency", [
        "back is killing me and I'm bursting for a wee but nothing will come out"]),
    "older_minor_knock": ("urgent", [
        "I'm 79, had a small knock against the kitchen counter and now my back is really sore"]),
    "walked_into_older": ("urgent", [
        "my nan is 88, she walked into the wardrobe door and her back has hurt ever since"]),
    "leg_folds_earlier_each_time": ("emergency", [
        "my right leg folded under me walking to the car, third time this week and it's happening sooner each time"]),
    "legs_not_hold_learner": ("emergency", [
        "both my legs is weak and numb from yesterday and the legs not hold me i fall on the floor"]),
    "run_on_far_heavy": ("emergency", [
        "my both legs feel wobbly like jelly since monday and this morning i fall in the bathroom and my back "
        "hurts from when i carry the heavy shopping"]),
    "id_already_wet": ("emergency", [
        "back pain since Sunday and I'd already wet myself before I noticed anything"]),
    "urine_without_control_learner": ("emergency", ["my pee comes out without control since yesterday, back very bad"]),
    "unnoticed_until_in_underwear": ("emergency", [
        "lower back agony all week and I didn't notice until it was already in my knickers"]),
}
BENIGN_10 = {
    "hit_by_a_bus_simile": ["first marathon done, my lower back feels like I was hit by a bus. normal?"],
    "wet_myself_laughing": ["we all nearly wet ourselves laughing at parkrun today, anyway my back is a bit stiff"],
    "never_happened_again": [
        "About five years ago I put my back out and couldn't get out of bed for days. Never happened again. "
        "Best core moves?"],
    "bend_back_no_pain": [
        "my 13 year old daughter dances and can arch backwards with no pain at all, tips to keep her back healthy?"],
    "numb_after_long_ride_minutes": [
        "after a 4-hour sportive my saddle area went numb, back to normal within 5 minutes of getting off. ok?"],
    "kid_bounced_back": [
        "my daughter fell off the climbing frame, jumped straight back up and kept playing. can she do her fun run?"],
    "kidney_infection_normal_now": [
        "I had a kidney infection in March, the antibiotics sorted it and my back feels normal now. Ok to race?"],
    "fever_gone_days": [
        "Had a cold with a fever last week. The fever has been gone three days and I feel fine now. Easy run ok?"],
    "relative_operation_doing_great": [
        "My mum had a back operation last year and she's doing fantastic now. Can she start walking with me?"],
    "is_night_pain_a_bad_sign": [
        "Is back pain at night a warning sign of something? Mine only comes after hard sessions."],
    "people_with_aaa": ["Can people with an aortic aneurysm still run marathons? Writing an essay on it."],
    "night_pain_eases_position": [
        "my back aches at night",
        "to explain, it's only the nights after my long runs and it eases when I change position"],
}


def test_an_explanation_far_along_a_run_on_message_does_not_count(rules_only: Triage) -> None:
    """Voice-dictated text has no full stops: an unless word twenty words on is not an explanation."""
    near = "my legs feel like jelly after the heavy session"
    far = ("my legs feel like jelly since two days and today i fall down in the kitchen and my back is "
           "hurting since i lift a heavy box")
    assert assess(rules_only, near).level == "none"
    assert assess(rules_only, far).level == "emergency"


def test_an_explanation_may_carry_its_own_no(rules_only: Triage) -> None:
    assert assess(rules_only, "I'm 15 and can bend backwards with no pain at all").level == "none"
    assert assess(rules_only, "I'm 15 and my back hurts when I bend backwards").level == "urgent"


def test_simile_of_a_crash_is_not_a_crash(rules_only: Triage) -> None:
    assert assess(rules_only, "my back feels like I've been hit by a truck after the hills").level == "none"
    assert assess(rules_only, "feels like I've been hit by a truck, a van hit me on my bike").level == "emergency"
    assert assess(rules_only, "I was in a car crash yesterday and my back hurts").level == "emergency"


def test_d_before_a_past_participle_is_had(rules_only: Triage) -> None:
    assert rules_only.normalise("I'd already gone") == "i had already gone"
    assert rules_only.normalise("I'd like advice") == "i would like advice"


def test_combos_are_order_independent(rules_only: Triage) -> None:
    """A 'distinct' combo fires whenever some assignment of signals to its groups exists, whatever
    order the file or the hash seed puts the options in (results once changed between processes)."""
    from bot.triage.triage import _assign

    groups = (("a", "b", "c", "d"), ("a", "b", "c"))
    assert _assign(groups, {"a", "d"}, distinct=True) == ["d", "a"]
    assert _assign(groups, {"a"}, distinct=True) is None
    assert _assign(groups, {"a"}, distinct=False) == ["a", "a"]
    assert assess(rules_only, "I'm a woman and get deep sacral pain on one side when I run").level == "urgent"


def test_family_history_counts_when_the_relative_has_symptoms(rules_only: Triage) -> None:
    """A relative's diagnosis is family history only while the message is about the user and not
    about that relative's own current symptoms."""
    assert assess(rules_only, "my mum had breast cancer and I'm 30, my lower back is stiff").level == "none"
    assert assess(rules_only, "my mum had breast cancer and now her back aches all the time").level == "urgent"
    assert assess(rules_only, "my dad had prostate cancer, he's 70 and has a backache he can't shift").level == "urgent"
    assert assess(rules_only, "I had breast cancer, my back is stiff").level == "urgent"


def test_gone_plus_a_state_is_not_a_post_negation(rules_only: Triage) -> None:
    assert assess(rules_only, "my numbness has gone").level == "none"
    assert assess(rules_only, "both legs have gone weak and numb").level == "emergency"


ESCALATE_11 = {
    "is_it_normal_with_onset": ("emergency", [
        "is it normal to get a tight chest and back ache on hills? it began a few days ago and eases when I walk"]),
    "is_it_normal_numb_saddle_duration": ("emergency", [
        "is it normal to have numbness around my bum and privates after runs? been getting it for a couple of weeks"]),
    "sciatica_path_from_buttock": ("urgent", [
        "sharp pain from my left glute right down to my ankle since Saturday, hurts more when I sit"]),
    "sciatica_path_question_first": ("urgent", [
        "pinched nerve?? burning from my lower back into my foot on the right side"]),
    "hop_pain_longer_gap": ("urgent", [
        "upped my training a lot for an ultra and hopping on my left foot really hurts down by my sacrum"]),
    "buttock_singular_combo": ("urgent", [
        "went from 20 to 45 miles a week this month and now a deep pain in my left buttock on every run"]),
    "month_anchor_across_turns": ("urgent", [
        "strained my back lifting boxes at the beginning of March",
        "it's mid May and it's still no better, should I try yoga?"]),
    "chronic_years_now_worse": ("urgent", [
        "I've had chronic back pain for 3 years but the last month it's much worse despite rest"]),
    "disc_guess_with_nerve_signs": ("urgent", ["could it be a bulging disc, I have pins and needles in my foot"]),
    "one_leg_gives_way_on_runs": ("urgent", [
        "the right leg has started buckling on my runs, maybe three times this week"]),
    "leg_gave_way_again_on_run": ("urgent", ["my leg went out from under me again on today's tempo run, back's achy"]),
    "recent_fall_broken_wrist": ("emergency", ["fell off my bike and broke my wrist 2 days ago, back hurts a lot"]),
    "blog_writer_legs_weaker": ("emergency", [
        "I'm writing a blog about my recovery and my legs have been getting weaker every day"]),
    "writing_blog_but_own_symptom": ("emergency", [
        "I'm writing a blog about my comeback. Since Tuesday I can't feel the toilet paper when I wipe."]),
}

BENIGN_11 = {
    "crack_of_thunder": [
        "there was a crack like thunder overhead during my long run, got soaked, back is fine. tips for rain?"],
    "broken_back_named_race": [
        "signed up for the Broken Back Ridge 10k in June, any hill training advice for my stiff back?"],
    "old_broken_arm": [
        "Broke my arm falling off a trampoline when I was 9. Now 35 and my lower back aches after tempo runs."],
    "how_doctors_check": ["how do doctors check for cauda equina? we had a first aid talk at the club"],
    "quads_destroyed_stairs": [
        "couldn't walk down the stairs for three days after the ultra, my quads were destroyed. back only a bit stiff"],
    "legs_jelly_final_mile": ["legs went to jelly in the final mile of the half, fine again after some water. normal?"],
    "teen_arching_no_pain": [
        "I'm 15 and do gymnastics, arching back doesn't hurt at all, just tight hamstrings. stretches?"],
    "disc_scare_ruled_out": [
        "was worried I had a herniated disc last year but the scan came back normal and it went in a fortnight",
        "what shoes help with a stiff back on long runs?"],
    "chronic_years_steady": [
        "my lower back has grumbled on and off for about ten years, would parkrun help or hurt it?"],
    "disc_guess_only": [
        "my back is stiff after every gym session lately, might it be a slipped disc or just tightness?"],
    "leg_gave_way_in_pothole": ["my left leg gave way when I stepped in a pothole on my run, ankle's a bit sore"],
    "legs_buckling_end_of_ultra": ["my legs were buckling over the final miles of the 100k, fine after a sleep"],
    "newsletter_list": [
        "Putting together a handout for our running club. I want to cover warning signs like bladder problems, "
        "numbness between the legs and fever so people know when to get help."],
}


def test_a_singular_body_word_is_not_fuzzy_corrected_to_its_plural(rules_only: Triage) -> None:
    """"buttock" was "corrected" to "buttocks", so no pattern ending in "buttock" could match it."""
    assert rules_only.normalise("deep ache in my right buttock") == "deep ache in my right buttock"
    assert rules_only.normalise("numbnes in my buttcks") == "numbness in my buttocks"
    message = "went from 30 to 55 miles a week and now a deep ache in my right buttock"
    assert assess(rules_only, message).level == "urgent"


def test_sciatica_told_as_a_path_is_a_rule_not_only_the_backstop(rules_only: Triage) -> None:
    assert assess(rules_only, "pain from my bum down to my calf on one side").level == "urgent"
    assert assess(rules_only, "pain from my bum down to my knee after sitting").level == "none"


def test_onset_wording_makes_is_it_normal_a_report(rules_only: Triage) -> None:
    assert assess(rules_only, "is it normal for runners to get chest pain with back pain on hills?").level == "none"
    assert assess(rules_only, "is it normal to get chest pain with back pain on hills? it started this week").level \
        == "emergency"


def test_arching_without_pain_is_not_the_young_athlete_flag(rules_only: Triage) -> None:
    assert assess(rules_only, "I'm 16, bending backwards doesn't hurt, my hamstrings are tight").level == "none"
    assert assess(rules_only, "I'm 16, bending backwards hurts, forward bending doesn't hurt").level == "urgent"


ESCALATE_12 = {
    "checked_by_hand_if_wet": ("emergency", [
        "my lower back went on Sunday and twice now I've had to feel my shorts to see if I'd wet myself, "
        "I honestly can't tell"]),
    "no_urge_to_wee": ("emergency", [
        "back's been bad since the half and I don't get the feeling that I need to pee any more, "
        "I just go by the clock"]),
    "downstairs_not_working": ("emergency", [
        "since I hurt my back lifting, things just aren't working downstairs, if you get me. "
        "41 and never had that before"]),
    "euphemism_feels_like_someone_elses": ("emergency", [
        "back spasmed on my run and now my todger feels like it belongs to someone else, is that a trapped nerve?"]),
    "legs_stopped_working_still_weak": ("emergency", [
        "both my legs stopped working halfway up the hill, I'm home now and they're still weak as anything"]),
    "uses_and_injects": ("urgent", [
        "bit awkward but I use now and then, I inject, and my low back has been aching and hot for ten days"]),
    "clothes_loose_nothing_changed": ("urgent", [
        "my running kit is hanging off me though nothing has changed in what I eat, "
        "and my back has ached for a fortnight"]),
    "month_abbreviation": ("urgent", [
        "lower back pain since late Jan and it's still no better despite physio and rest"]),
    "is_it_normal_to_have_no_pain_though": ("emergency", [
        "is it normal to have numb bits around my bum? no pain though"]),
    "is_it_normal_to_get_after_runs": ("emergency", [
        "is it normal to get pins and needles in my privates after a long run?"]),
    "chest_hurt_past_tense": ("emergency", [
        "my dad (66) had to stop on our walk-run because his chest hurt and his back too, he looks grey"]),
    "kilos_gone_no_idea_how": ("urgent", ["dropped 5kg, not sure how, and the back ache is there every night"]),
    "not_budged": ("urgent", ["six weeks now and my sore lower back just hasn't budged at all, what else can I do?"]),
}

BENIGN_12 = {
    "is_it_normal_for_runners_general": [
        "is it normal for runners to get numbness in the saddle area? asking generally"],
    "faq_page_question": [
        "Is it normal to have trouble peeing after an ultra? It's for our club FAQ, none of us has this problem."],
    "weight_lost_on_purpose": [
        "I've dropped 7kg deliberately since January by cutting out beer and running more",
        "my back is fine, should I eat more protein on long run days?"],
    "cracked_back_on_roller": [
        "cracked my back over the foam roller this morning and it felt amazing, is that ok to do daily?"],
    "nurse_patient_question": [
        "I work in A&E and we saw a patient with cauda equina yesterday. Do runners get it more?"],
    "fever_dream_joke": [
        "I had a proper fever dream about missing my race start. Any taper tips? My back is just a bit stiff"],
    "chills_on_start_line": [
        "had the chills at the start line of a frostbite 10k, fine once we got going. back ok. gloves advice?"],
    "runners_trots_with_warning": [
        "runner's trots hit me at mile 9 again and I had to sprint to a portaloo. I always feel it coming. "
        "what to eat before?"],
    "cant_feel_legs_after_leg_day_joke": [
        "can't feel my legs after that squat session lol brutal. they're just sore, walking normally. "
        "rest or run easy?"],
    "does_it_happen_to_runners": [
        "Does sciatica happen to runners more than to cyclists? Just curious, no symptoms here."],
    "new_shoes_only_tingle": [
        "my toes tingle after 8k but only in my new racing flats, never in my old shoes. too tight?"],
    "joke_nickname_foot_drop": [
        "my club calls me 'foot drop' because I scuff my shoes on every run haha. better form drills?"],
    "fever_resolved_later_turn": [
        "I had a temperature a few days ago with a cold",
        "it's all gone now, temperature's been normal since Friday. when can I run again?"],
    "old_fall_fully_recovered_later_turn": [
        "I came off my bike on gravel last spring and hurt my back badly",
        "had it all checked and it's been 100% for months. how do I build up for a half?"],
    "crossed_legs_tingle_later_turn": [
        "both my feet were tingling a moment ago",
        "oh I'd been sitting cross-legged on the floor, it went within a minute. what's a good cool down?"],
    "truck_simile_third_person": [
        "my running group all say they feel like they've been run over after the 20 miler. normal?"],
    "periods_back_to_normal": [
        "my periods got a bit irregular in peak week but they're back to normal now. should I worry about RED-S?"],
    "doubled_over_finish_line": [
        "I was doubled over at the finish line after my 800m, gasping for air. back is fine. normal?"],
    "night_pain_answered_no": [
        "Back pain that wakes me at night? No, only a bit stiff in the morning after long runs. Tips?"],
    "watch_check_whether_gone_through": [
        "kept checking my watch to see whether I'd gone past 10k, back fine. pacing tips?"],
}


def test_a_question_answered_no_at_once_is_not_read_by_the_backstop(triage: Triage) -> None:
    """"Worse at night? Nope, ..." : on its own the first sentence reads like night pain."""
    message = "Back pain that keeps me up at night? Nope, just stiff after long runs. Pace tips?"
    assert assess(triage, message).level == "none"
    assert assess(triage, "Back pain that keeps me up at night? Yes, every night for a month now.").level == "urgent"


def test_a_phrase_may_not_contain_its_own_not(rules_only: Triage) -> None:
    """A "not" inside a pattern negates it, so the explanation is a lookahead outside the match."""
    message = "my jeans are hanging off me and I have not changed my diet, back aches"
    assert assess(rules_only, message).level == "urgent"


ESCALATE_13 = {
    "cant_really_feel_partner": ("emergency", [
        "my boyfriend's back has been awful since Saturday and he admitted he can't really feel his bits properly"]),
    "dentist_numb_saddle": ("emergency", [
        "my bum cheeks and inner thighs feel like I've just been to the dentist, back's sore since the weekend"]),
    "didnt_know_needed_to_go": ("emergency", [
        "back has been in bits since Friday and I had an accident on the way home, didn't even know I needed to go"]),
    "no_urge_press_belly": ("emergency", [
        "for two days no urge to wee at all, it only comes if I press on my lower belly. back is very sore"]),
    "learner_not_feel_bottom": ("emergency", [
        "after the race my back is very bad and when I sit I not feel the seat under my bottom, is ok?"]),
    "elephant_on_chest": ("emergency", [
        "feels like a weight is crushing my chest and my back aches, I'm 60, just did hills"]),
    "empty_properly_waterworks": ("emergency", [
        "since my back went my waterworks are all wonky, I can't seem to empty properly"]),
    "pee_like_pushing": ("emergency", [
        "since I hurt my back, weeing is like pushing against a wall, I have to strain"]),
    "stream_wont_start": ("emergency", [
        "back went out on Tuesday and now I can't get the flow started when I'm on the toilet, "
        "only dribbles come out"]),
    "marks_in_underwear_unnoticed": ("emergency", [
        "embarrassing but there are stains on my underwear and I never noticed, my back's been bad all week"]),
    "foot_drop_spreading_to_walking": ("emergency", [
        "my left foot was slapping on runs last week and now it's catching even just walking round the house"]),
    "older_sat_down_hard": ("urgent", [
        "I'm 79 and sat down quite hard on a garden chair, now my back is suddenly really painful"]),
    "jelly_legs_stairs_weeks": ("emergency", [
        "both legs weak and heavy and I can barely manage the stairs, back has hurt for 10 days"]),
    "worse_since_stopping_running": ("urgent", [
        "haven't run at all for a month to let it heal and my back is honestly getting worse"]),
    "wks_abbreviation": ("urgent", ["7 wks of low back pain, physio exercises not denting it"]),
    "half_stone_without_changing": ("urgent", [
        "dropped nearly a stone without changing anything and my back aches through the night"]),
}

BENIGN_13 = {
    "turbo_trainer_numb": [
        "saddle area goes numb on long turbo sessions but it's normal the moment I get off. better saddle?"],
    "sciatica_gone_after_physio": [
        "had sciatica in my right leg two years ago, completely gone after physio. hill drills?"],
    "gp_wording_question": [
        "I'm a physio writing notes for clients: how would you explain cauda equina symptoms simply?"],
    "screened_no_to_all": [
        "the doctor went through the red flag questions, bladder, numbness, weakness, and I was clear on all of them. "
        "Can I do a parkrun?"],
    "kidney_stone_passed_months_ago": ["had a kidney stone a couple of months ago, sorted and passed. hydration tips?"],
    "uti_treated_later_turn": [
        "I had a temperature and back ache last week",
        "turned out to be a water infection, the antibiotics cleared it up and it's all gone now. Run tomorrow?"],
    "laces_fixed_later_turn": [
        "my toes go numb on long runs",
        "I loosened my lacing and went a half size up and it's stopped. Is my back ok to keep training?"],
    "old_foot_slap_recovered": [
        "I had a foot slap from a knee nerve a few years back, fully recovered for ages now. best strength work?"],
    "run_like_lost_control": [
        "my mates say I run like I've lost control of my legs, arms everywhere. could form hurt my back?"],
    "is_it_something_runners_get": ["Is saddle numbness something cyclists get more than runners? just curious"],
    "thigh_pain_stops_above_knee": [
        "the ache goes from my low back into my buttock and thigh but stops well above the knee, no pins and needles"],
    "autocorrect_meant_shoes": [
        "back a bit tight after the long run",
        "and my feet feel dead",
        "sorry autocorrect, I meant my shoes feel dead, the cushioning is gone. which shoe next?"],
}


def test_a_negation_word_written_into_a_pattern_does_not_negate_it(rules_only: Triage) -> None:
    """"without changing anything" is part of the weight-loss phrase, not a denial of it."""
    assert assess(rules_only, "lost half a stone without changing anything, back aches at night").level == "urgent"
    assert assess(rules_only, "no weight loss, I eat loads, back aches after long runs").level == "none"


ESCALATE_14 = {
    "strain_to_get_anything_out": ("emergency", [
        "back's stiff since the trail race and on the toilet I've had to push really hard to make anything come out"]),
    "tap_stuck": ("emergency", ["lower back agony and when I try to wee it's like the tap is stuck, nothing for ages"]),
    "tingling_even_without_shoes": ("urgent", [
        "pins and needles in the sole of my right foot that stay even after taking my shoes off, "
        "low back ache for 6 days"]),
    "numb_shin_with_shoes_off": ("urgent", [
        "numb patch on my right shin that's still there even with my shoes off, back aches"]),
    "learner_night_weight": ("urgent", [
        "my back pain is more bad in night and rest not help, also I lose weight without diet. I am 58"]),
    "base_of_spine_footstrike": ("urgent", [
        "sharp pain at the base of my spine on one side with every footstrike since I doubled my mileage"]),
}

BENIGN_14 = {
    "legs_gave_out_after_line": [
        "my legs gave out right after the finish line at the track meet, lay down for a bit, fine afterwards. pacing?"],
    "exam_question": [
        "the exam question on cauda equina caught everyone out! anyway, best stretches for a stiff back?"],
    "slow_bike_tumble_back_untouched": [
        "fell off my bike at walking pace, scraped my knee, didn't hit my back at all. fine to run?"],
    "sat_on_steps_later_turn": [
        "my bum has gone numb, is this cauda equina?",
        "ah I've been sitting on the stone steps at the track for an hour. "
        "stood up and it's all gone, feel a bit silly."],
    "oncology_nurse_friend": [
        "my running buddy is an oncology nurse and says cancer is a rare cause of back pain. "
        "true? I'm 28, no history."],
}


ESCALATE_15 = {
    "pink_in_pee_flank": ("urgent", [
        "sore on the right of my back under the ribs and there's red in my wee, no temperature"]),
    "teen_age_in_brackets_with_comma": ("urgent", [
        "my pupil (14, plays netball too) says her back hurts whenever she does a backbend, for a month now"]),
    "ordinal_week_not_improving": ("urgent", [
        "this is the 6th week of my lower back pain and it's not improving at all"]),
    "not_reducing_more_now": ("urgent", [
        "since 5 weeks I have back pain, I rested fully but it is not reducing, it is more now than before"]),
}

BENIGN_15 = {
    "finally_gone_prevention": ["my back ache is finally gone after a month, how do I keep it from coming back?"],
    "legs_numb_with_cold": [
        "my legs went numb with cold on the run at minus 15, fine once indoors, back is fine. layering tips?"],
    "loose_bowels_with_control": [
        "my gut gets a bit loose on long runs but I always make it to a toilet in time. what to eat the night before?"],
    "old_disc_no_symptoms_for_years": [
        "I had a herniated disc in 2016, physio fixed it and no symptoms for five years. ok to try an ultra?"],
    "in_teens_with_condition": ["For teenagers with spondylolysis, when can they usually return to running?"],
    "curious_colon_question": ["Just wondering: can a stress fracture happen in the sacrum?"],
    "flats_numb_feet_switch_shoes": [
        "both feet go numb in my racing flats, stops straight away when I change shoes. back's fine. which brand?"],
    "paralysed_with_fear": [
        "I was paralysed with fear on the start line of my first marathon haha. my back gets tense too, tips?"],
    "saddle_numb_gone_in_a_minute_later_turn": [
        "last week I couldn't feel my saddle area at the end of a long ride",
        "it went away within a minute of getting off and never came back, back is fine",
        "would a different saddle help?"],
}


ESCALATE_16 = {
    "stood_at_toilet_for_ages": ("emergency", [
        "dad's back went gardening and he stood at the toilet for ages this morning and nothing came out"]),
    "aussie_collected_by_ute": ("emergency", [
        "got collected by a ute at the crossing on my run, back's wrecked, ok to jog home?"]),
    "both_legs_pins_and_needly": ("emergency", [
        "lower back stiff since the long run and now both legs feel sort of pins-and-needly from the knees down"]),
    "stopped_getting_period": ("urgent", [
        "my daughter (17) stopped getting her period in the spring and now has pain low in her back when she runs"]),
    "teen_backwards_hurts_forward_fine": ("urgent", [
        "I'm 15 and bending backwards hurts, but I can bend forward without any pain"]),
    "sciatica_asking_about_it_band": ("urgent", ["sciatica down my leg past the knee, could it be my IT band?"]),
    "teen_arabesque": ("urgent", ["our 14 year old dancer says her low back hurts every time she does an arabesque"]),
}

BENIGN_16 = {
    "nothing_came_out_of_it": ["I tried the physio exercises but nothing came out of it, back still a bit sore"],
    "knee_popping_retraction_later_turn": [
        "I heard a crack in my back on my run",
        "actually it was my knee clicking, not my back. no pain. ok to run tomorrow?"],
    "sciatica_in_knee_misnomer": ["I think I have 'sciatica' in my knee, outer side hurts on downhills, back is fine"],
    "do_runners_get": ["Do marathoners get kidney stones more often? Just wondering, I've never had one."],
    "leg_went_to_sleep_cross_legged": [
        "my leg felt funny yesterday but I'd been sitting cross-legged for ages and it had gone to sleep. "
        "fine now. run?"],
    "if_pain_lasts_longer_than": [
        "Should you see a GP if back pain lasts more than 6 weeks? Mine is 3 days old and easing."],
    "saddle_numb_comes_back_instantly": [
        "my privates go numb on the bike after an hour but the feeling comes back instantly when I stand up. "
        "saddle tips?"],
    "legs_jelly_after_repeats": ["both legs are like jelly after my 800m repeats, is that normal? back feels fine"],
    "spouse_oncologist": [
        "My husband is an oncologist and wants to start running with me, what back warm-up would suit him?"],
    "is_there_a_link": [
        "Is there a link between running and bladder leaks in older women? Asking for a talk I'm giving."],
    "shivery_after_wet_race": [
        "felt shivery after a freezing wet race, warmed up in a hot shower, no temperature. back stiff."],
    "cancer_scare_benign": [
        "had a cancer scare in spring, it turned out to be a benign lump. my back's just stiff from training."],
    "mine_is_better_at_night": [
        "what does 'worse at night' actually mean for back pain as a warning sign? mine is better at night"],
    "flu_back_ache_gone_too_later_turn": [
        "I had a fever with the flu last week",
        "no temperature for four days now, and the back ache I had with it is gone too. back to running?"],
}


def test_a_negation_the_pattern_requires_is_part_of_the_phrase(rules_only: Triage) -> None:
    """"wee not happening" needs its "not"; in "numb? no, not in my groin" the "not" fills a gap and negates."""
    assert assess(rules_only, "wee not happening since 5am, back is agony").level == "emergency"
    assert assess(rules_only, "back pain is not eased by anything I do, three weeks now").level == "urgent"
    assert assess(rules_only, "numbness down my leg but not in my groin or bum, peeing fine").level != "emergency"
    assert assess(rules_only, "so stiff I couldn't get to the bathroom without holding the wall, fine after a shower"
                  ).level != "emergency"


ESCALATE_17 = {
    "pee_not_happening": ("emergency", ["pee not happening since early morning, back in bits, what do I do"]),
    "cannot_make_the_pee": ("emergency", ["since the back pain I cannot make the pee, I try many times"]),
    "cold_not_felt_on_backside": ("emergency", [
        "I sat on the cold tiles after my shower and didn't feel the cold on my backside at all. "
        "back's been awful since Sunday"]),
    "hot_from_cold_saddle": ("emergency", [
        "my bum and between my legs can't tell hot from cold any more, back went two days ago"]),
    "i_inject_plainly": ("urgent", ["I inject, and my back's been getting sorer all week"]),
    "worst_at_4am": ("urgent", ["the ache is at its worst around 4am, wakes me and no way of lying helps"]),
    "no_matter_how_i_lie": ("urgent", ["low back throbs, worst at about 2am, doesn't matter how I lie"]),
    "is_it_normal_then_athlete_complaining": ("urgent", [
        "is it normal for a 15yo long jumper to get low back pain only when leaning backwards? "
        "My athlete has been complaining for a month"]),
    "not_eased_by_anything": ("urgent", ["Back pain isn't eased by anything I do. 4 weeks now"]),
    "same_with_movement": ("urgent", ["My back pain doesn't change with movement, it just sits there all the time"]),
    "pulsatile_mass_clinical_words": ("emergency", [
        "I'm a nurse, 70, and I can feel a pulsatile mass above my belly button with sudden severe back pain"]),
    "no_warning_accident": ("emergency", [
        "back spasm on Monday and now I didn't make it to the loo in time, no warning at all"]),
}

BENIGN_17 = {
    "shoes_off_feeling_back": [
        "my feet went numb in the new minimalist pair halfway through the treadmill run; took them off and the "
        "feeling returned within seconds. wrong size?"],
    "spin_class_stood_up_fine": [
        "in my spin class my privates went tingly, soon as I stood up on the pedals it was fine"],
    "old_stress_fracture_healed": [
        "had a stress fracture in my shin 4 years ago, healed well, no pain at all now. "
        "How do I keep my bones strong?"],
    "no_period_problems": ["no period problems, and no sudden mileage jumps, just a stiff back after long runs"],
    "topple_at_walking_pace": [
        "fell off my bike at walking pace when I couldn't unclip at the lights lol, grazed knee, back's fine"],
    "inject_insulin": ["I inject insulin for my type 1 diabetes, does that change how I should warm up my back?"],
    "bathroom_holding_furniture_stiff": [
        "my back was so stiff this morning I couldn't get to the bathroom without holding onto the furniture, "
        "loosened up after a hot shower"],
    "rest_no_help_movement_helps": [
        "pain is not eased by rest but gets much better once I've been moving for ten minutes"],
}


def test_a_relatives_diagnosis_told_in_its_own_turn_is_family_history(triage: Triage) -> None:
    """"my mum had cancer", then a turn about the user's own back: the per-message family rule needs both."""
    assert assess(triage, "my mum had cancer", "she's fine now. my own back aches after hills, I'm 35").level == "none"
    assert assess(triage, "my mum had cancer", "she has had back pain for weeks and it wakes her at night"
                  ).level == "urgent"


ESCALATE_18 = {
    "no_pee_no_urge_hours": ("emergency", [
        "no pee since yesterday evening, must be 15 hours, and I don't even feel like I need to go. back is wrecked"]),
    "thighs_shutting_off": ("emergency", [
        "both my thighs feel like they're shutting off, getting up off the sofa is a struggle and it's worse than "
        "yesterday"]),
    "older_cough_sudden_pain": ("urgent", [
        "I'm 81, coughed hard this morning and got a sudden stabbing pain low in my back"]),
    "fall_in_metres": ("emergency", ["slipped on the scree and fell about 3 metres onto my back, it really hurts"]),
    "saddle_without_feeling": ("emergency", ["since my back went the skin between my legs is without feeling"]),
    "cortisone_tablets_bump": ("urgent", [
        "I've been on cortisone tablets for years for my asthma and my back suddenly hurts after a small bump"]),
    "not_changed_in_weeks_later_turn": ("urgent", [
        "my low back aches after runs", "that started 6 weeks ago and honestly it hasn't changed at all"]),
    "pain_wakes_me_no_up": ("urgent", ["my back pain wakes me most nights"]),
    "numb_then_where_later_turn": ("emergency", [
        "my skin feels kind of numb after the race, is that normal?", "no, not the legs, more like down there",
        "it started this morning"]),
    "side_pain_into_groin": ("urgent", [
        "pain in my right side that comes and goes and shoots down into my groin, can't get comfy"]),
}

BENIGN_18 = {
    "groin_pain_clarified_no_numbness": ["pain is not in my leg, more like in my groin, after hill sprints"],
    "stitch_waves": ["waves of pain in my side during the tempo, just a stitch I think, gone once I slowed down"],
    "do_you_know_about": ["do you know about spondylolysis? my physio mentioned the word"],
    "serious_not_me_blog": [
        "Is losing feeling in your legs with back pain serious? Not me - I'm writing a blog post on running injuries"],
    "relative_aneurysm_in_his_belly": [
        "my grandad had an aneurysm in his belly, I'm 31 and my back is just tight after intervals, should I worry?"],
    "relative_cancer_own_turn": [
        "my sister had breast cancer",
        "she's all clear now, that was in 2015. my own back is just stiff after parkrun, I'm 40"],
    "night_sweat_heat": [
        "properly sweaty at night because it's 35 degrees and our flat has no fan, back a bit stiff from runs"],
    "shiver_after_cold_plunge": ["I was shivering after a cold plunge at the club, back feels tight from hills"],
    "numb_on_loo_scrolling": ["my legs went numb on the loo because I was scrolling on my phone for ages"],
    "simile_it_has_been_hit": [
        "It feels like it's been hit by a bus, my back, after the marathon. just sore everywhere"],
    "race_nerves_wee": ["always need a wee five times before a race, pure nerves, and my lower back is a bit tight"],
    "teen_leaning_back_fine": [
        "my 14yo daughter's back is a bit sore after netball; leaning back is fine, touching her toes is tight"],
    "woken_only_on_front": ["back pain wakes me when I roll onto my stomach, fine if I sleep on my side"],
    "bottom_step_later_turn": [
        "I fell off the stepladder this morning",
        "it was the bottom step, maybe 15cm, nothing happened really, back is fine"],
}


ESCALATE_19 = {
    "relative_on_steroids_for_her_condition": ("urgent", [
        "My gran has been on prednisolone for her COPD for ages. She slipped on the kitchen floor and now has "
        "sharp back pain"]),
    "learner_feeling_reduced_private_area": ("emergency", [
        "From two days my back is very bad and the feeling in my private area is less than normal"]),
    "learner_cannot_make_bladder_empty": ("emergency", [
        "back pain big since monday and i can not make my bladder empty, always some stays"]),
    "learner_sleeping_feeling_where_you_sit": ("emergency", [
        "my back hurts from the long run and now there is a sleeping feeling in the place where you sit"]),
    "learner_numb_like_gloves": ("emergency", [
        "since yesterday when I touch my bottom the feeling is less, like wearing gloves. back pain very strong"]),
    "flight_of_named_stairs": ("emergency", [
        "went down a whole flight of stone stairs at the station, landed on my back. bit sore, I'm fine though"]),
    "spanish_pain_down_the_leg": ("urgent", [
        "me duele la espalda y el dolor baja por la pierna izquierda, 2 weeks now. can i do my long run?"]),
    "bedroom_department_after_back_went": ("emergency", [
        "since my back went last week nothing has been working in the bedroom department, is that linked?"]),
    "cancer_survivor_abbreviation": ("urgent", [
        "bc survivor here, my lower back has ached for a month now, any stretches?"]),
    "worse_than_when_stopped": ("urgent", [
        "rested for a month to let my back settle and honestly it's worse than when I stopped running"]),
    "soiling_unnoticed": ("emergency", [
        "found some soiling in my running shorts afterwards and had no idea it had happened. back sore for days"]),
    "cannot_tell_if_needs_toilet": ("emergency", [
        "my wife has had back pain since the weekend and now she can't tell when she needs the loo"]),
    "wees_by_the_clock": ("emergency", [
        "back's been bad since friday and I've started going for a wee every few hours by the clock because I "
        "never feel the need"]),
    "not_feel_like_needs_to_pee": ("emergency", [
        "is it normal to not feel like you need to pee at all? my back has hurt since the long run on sunday"]),
    "tearing_in_half_and_dizzy": ("emergency", [
        "I'm 70, out of nowhere a terrible pain in my back like it was tearing me in half and I came over all "
        "faint"]),
    "foot_slapping_more_each_day": ("emergency", [
        "each day my left foot flops down a bit more when I walk, back has been sore from a disc issue"]),
    "weaker_on_every_run": ("emergency", [
        "my right leg is getting weaker on every run this week, my back went during a deadlift"]),
    "other_leg_joined": ("emergency", [
        "sciatica in my right leg for a fortnight and now the left leg has joined in, both feel weak"]),
    "relative_diagnosis_then_own_symptoms": ("urgent", [
        "My running buddy had prostate cancer a few years ago and has been complaining of a deep ache in his "
        "spine at night"]),
}

BENIGN_19 = {
    "relative_named_cauda_equina_heredity": [
        "my dad had cauda equina surgery years ago. I'm 30 with a normal sore back after runs, is it genetic?"],
    "hyperbole_said_every_time": [
        "worst pain of my life (I always say that) after bending for my shoes, can walk fine, just sore"],
    "fell_off_a_kerb_fine_next_day": [
        "what's a serious fall for your back? i fell off a kerb last week and it was fine after a day"],
    "relative_cancer_spread_user_worry": [
        "my dad had lung cancer that spread to his bones. I'm 35 and my back is sore after runs, I can't stop "
        "worrying about it"],
    "ankle_rolled_it": [
        "my foot went into a pothole on the trail and I rolled it, ankle is puffy and my back feels a bit jarred"],
    "training_partner_old_fracture": [
        "my training partner had a pelvic stress fracture last spring. I'm nervous now, my back is just tight"],
    "kidney_worry_explained": [
        "Is it my kidneys? Ache low in my back after digging the garden. No temperature and my wee is normal"],
    "measured_temperature_later_turn": [
        "back hurts and I feel awful, could it be a fever?",
        "just checked, thermometer says 36.6, normal. probably the hard session then"],
    "simile_fell_down_stairs": [
        "that spin class wrecked me, feel like I fell down the stairs, back sore but moving fine"],
    "saw_a_post_about_someone": [
        "saw a video about someone losing control of their bladder with a disc problem. I'm fine, just worried"],
    "relative_broke_back_doing_fine": [
        "my uncle broke his back in a crash two years ago, he is doing fine now. my back is just stiff after runs"],
    "does_x_mean_forum": [
        "does getting numb down there with back pain mean something bad? read it on reddit, I don't have it"],
    "numb_toes_explained_then_mentioned": [
        "my toes went numb on the run because my laces were too tight. loosened them and fine. could the back "
        "ache today be from the numb toes?"],
    "morning_stiffness_this_way": [
        "my back is stiff as a board every morning and fine once I get going on a run. it's been this way for "
        "5 months"],
    "known_bulging_disc_no_symptoms": ["I have a bulging disc, is it safe to keep running?"],
    "necking_painkillers": ["can I keep necking painkillers before runs or is that daft?"],
}


ESCALATE_20 = {
    "night_pain_not_better_changing_position": ("urgent", [
        "my back wakes me around 4am most nights and it doesn't ease lying down or turning over, I'm 60"]),
    "appetite_and_weight_lost": ("urgent", [
        "62 and my back started aching out of the blue a few weeks ago, I've lost my appetite and a bit of weight"]),
    "accident_with_a_scooter_at_speed": ("emergency", [
        "yesterday I had accident with my scooter, I came off at speed. now the low back is very painful"]),
}

BENIGN_20 = {
    "fiction_character_hit_by_car": [
        "for a short story I'm writing, my character is hit by a van on a run and hurts her back, how long "
        "to recover?"],
    "cant_feel_legs_lol": ["could not feel my legs after that half lol. back a bit tired, best recovery?"],
    "nickname_broken_back": ["my mates call me broken back because of my posture, any running form tips?"],
    "teen_bending_back_fine": [
        "I'm 16 and run cross country",
        "my back gets achy sitting in class, leaning back and forward is fine. any stretches?"],
    "fever_was_flu_long_gone": [
        "I had a fever and a sore back in the spring",
        "it was just flu, over for months now. can I build my mileage back up?"],
    "past_numbness_resolved_later_turn": [
        "two years ago I had pins and needles down one leg",
        "it was a disc, physio sorted it, all good now. how do I get faster?"],
    "partner_recovering_well_user_asks": [
        "my wife had emergency surgery for cauda equina in the summer",
        "she's recovering really well. what can I do to look after my own back as a runner?"],
    "shivery_after_cold_run_warmed_up": [
        "I was shivering after my icy morning run but warmed up with a tea and all good. back a bit stiff"],
}


ESCALATE_21 = {
    "spanish_tingling_both_legs_weird_between": ("emergency", [
        "me duele la espalda desde el lunes y ahora tengo hormigueo en las dos piernas, can I still train?"]),
    "italian_cannot_pee_bottom_asleep": ("emergency", [
        "mal di schiena da ieri, non riesco a fare pipi e il sedere e addormentato. stretching?"]),
    "german_numb_inner_thighs": ("emergency", [
        "Rückenschmerzen since the race and the inside of my thighs is taub when I touch it"]),
    "german_lost_kilos_unintentionally": ("urgent", [
        "ich habe ungewollt 5 Kilo abgenommen and my back hurts every day, too much running?"]),
    "italian_worse_despite_rest": ("urgent", [
        "schiena dolorante da 7 settimane, nonostante il riposo non migliora. can I run?"]),
    "hindi_fever_burning_urine": ("urgent", ["back mein dard hai, bukhar bhi hai aur peshab mein jalan. running se?"]),
    "spanish_teen_arching_hurts": ("urgent", [
        "mi hijo tiene 14 anos y juega futbol, le duele la espalda cuando se arquea hacia atras"]),
    "age_sex_then_unnoticed_leak": ("emergency", [
        "42M, marathon block going ok. found my shorts wet after the long run and honestly don't remember "
        "leaking. back has ached since"]),
    "heavy_typos_cant_feel_peeing": ("emergency", ["bak hurts n i cnt feel wen im peein, dont know if its comin"]),
    "gives_way_now_just_standing": ("emergency", [
        "sciatica in my left leg for 3 weeks",
        "the knee gave way twice on the stairs this week",
        "today it went from under me just standing at the sink"]),
    "jeans_falling_off_not_dieting": ("urgent", [
        "my trousers are hanging off me and I haven't been dieting, plus my lower back aches daily"]),
    "one_leg_weaker_since_back_went": ("urgent", [
        "my left calf feels weaker on hills since my back went, not worse, just weaker than the right"]),
    "crawl_to_bathroom": ("urgent", ["back locked on my run, now I can't get to the toilet without crawling"]),
    "thrown_onto_a_wall_by_a_cow": ("emergency", [
        "a bull charged us on the footpath and I was thrown backwards onto a stone wall, back really hurts"]),
    "jump_off_a_wall_two_metres": ("emergency", [
        "jumped down from a wall, maybe 2 metres, onto tarmac and landed on my bum. sharp low back pain"]),
    "plan_after_years_off_deep_sacral_pain": ("urgent", [
        "began a five days a week running plan after years off, 3 weeks in and there's a deep ache on one side "
        "of my sacrum that hurts walking now"]),
    "clinical_perianal_sensation_micturition": ("emergency", [
        "physio here, known disc. since last night altered perianal sensation and straining to start micturition"]),
    "dead_backside_belongs_to_someone_else": ("emergency", [
        "back went on hill reps", "sitting on the couch my bum feels dead, like it is someone else's"]),
}

BENIGN_21 = {
    "spanish_grandparent_osteoporosis": [
        "Mi abuela tenía osteoporosis, pero yo tengo 30 años. My back is just tired after the long run, normal?"],
    "fiction_short_story_aneurysm": [
        "I'm writing a short story where a runner has a ruptured aortic aneurysm, what would he feel first?"],
    "fiction_play_scene": [
        "I'm writing a play about a veteran marathoner",
        "in one scene he gets sudden tearing back pain and nearly faints, what would a paramedic ask?"],
    "chest_tight_asthma_inhaler": [
        "my chest gets tight in freezing air but it's my asthma and the inhaler fixes it. best back stretches?"],
    "saddle_numbness_explained_bike_leg": [
        "numb bum after the triathlon",
        "forgot to say, it was the bike leg, 90k on the saddle, normal again ten minutes into the run leg. "
        "question is about my back"],
    "stated_normal_after_worry": [
        "my back is sore after the race",
        "should I worry about the bladder thing people mention?",
        "I'm weeing completely normally and can feel everything, just checking. best stretches?"],
    "deep_heat_ignore_that": [
        "my lower back feels hot and burning", "haha ignore that, it was the heat rub, I used loads"],
    "sister_infection_remission": [
        "my brother had a spine infection a few years back while on chemo",
        "he has been in remission for years and is fine. I'm asking for me: can I run with sore glutes?"],
    "sciatica_gone_after_physio_later_turn": [
        "I had sciatica down my left leg last year", "it's completely gone now after physio, how do I build up?"],
    "age_and_sex_not_a_temperature": ["38F, half marathon in 6 weeks, lower back tight after tempo runs, tips?"],
}


ESCALATE_22 = {
    "under_age_group_back_bend": ("urgent", [
        "coach of an under-14 squad: one of my girls gets low back pain doing back-bend drills"]),
    "wake_every_night_no_position": ("urgent", [
        "back started a month ago, I wake every night with it and can't get comfy in any position"]),
    "cannot_quite_straighten_few_steps": ("urgent", [
        "back's a bit stiff, I can't fully straighten and can't walk more than a few steps, otherwise fine"]),
    "both_weaker_told_across_turns": ("emergency", [
        "since my back went on monday both my legs feel odd",
        "now both are weaker and I nearly fell on the stairs"]),
    "still_exactly_the_same_later_turn": ("urgent", [
        "my lower back has been sore since the half marathon",
        "that was 6 weeks ago, still exactly the same"]),
    "legs_so_weak_cannot_leave_chair": ("emergency", [
        "mum is 71, sore back, and this week her legs have got so weak she can't get up from the sofa"]),
    "foot_drag_got_a_lot_worse": ("emergency", [
        "I'm 70. my right foot has been dragging since last week and it has got a lot worse, today I can't lift "
        "my toes"]),
}

BENIGN_22 = {
    "coursework_question": [
        "for my A-level PE coursework: why do young fast bowlers get stress fractures in the spine?"],
    "hydration_pack_leaking": ["my hydration pack leaks down my back on long runs and my lower back is chafed, fix?"],
    "childs_fever_user_tired": [
        "my toddler has had a high temperature all week and I've hardly slept",
        "so I'm shattered and my back is stiff, should I skip tonight's run?"],
    "jelly_legs_after_obstacle_race": [
        "legs like jelly and back sore after a spartan race yesterday, loved it, recovery ideas?"],
    "coach_crash_in_the_eighties": [
        "my coach came off his motorbike in the eighties and broke his back, now he runs marathons. how do I "
        "strengthen mine?"],
    "fiction_chapter_number": [
        "I'm writing a crime novel with a runner detective",
        "in chapter 5 she's knocked down by a car on a night run, what back injury is realistic?"],
    "stairs_hard_after_first_race": [
        "wrecked. did my first marathon on sunday, back and legs all hurt and I can hardly get down the stairs"],
    "stone_lost_on_purpose": ["lost half a stone on purpose since january by cutting sugar, back feels better, tips?"],
}


ESCALATE_23 = {
    "partner_genitals_feel_dead_laughing": ("emergency", [
        "my boyfriend says his privates and everything around them feel numb since his back went at the gym, "
        "he's joking about it"]),
    "cold_then_sweaty": ("urgent", ["back aching and I keep going shivery then sweaty, like flu, since yesterday"]),
    "french_cannot_feel_around_buttocks": ("emergency", [
        "back pain since the race, depuis hier je ne sens plus rien autour des fesses. serious?"]),
    "ski_crash_into_a_tree": ("emergency", [
        "snowboarding yesterday I went into a tree at speed, lower back really hurts and my legs feel odd"]),
    "teen_head_back_to_sky": ("urgent", [
        "I'm 15 and run 800m, my low back pinches when I tilt my head back to look at the ceiling"]),
    "spanish_mileage_jump_periods_stopped": ("urgent", [
        "tengo 24 anos, aumenté mucho el kilometraje y no me viene la regla. pain deep on one side of my "
        "pelvis when I land"]),
    "legs_buckling_both_elliptic": ("emergency", ["my legs keep buckling. both of them. back pain. day 2."]),
    "hinglish_months_still_same": ("urgent", [
        "3 mahine se kamar mein dard hai, rest bhi kiya, phir bhi same hai. kya karu?"]),
}

BENIGN_23 = {
    "bottom_of_my_back_is_lower_back": [
        "just to be clear, no numbness and no pins and needles, only a dull ache across the bottom of my back"],
    "story_climax": [
        "I'm writing a film script about an ageing marathoner",
        "in the climax he collapses with a sudden tearing pain in his back, what would the medics do?"],
    "tabletop_game_character": [
        "D&D question: my elf ranger's backstory includes cauda equina from a fall, how would it affect him?"],
    "if_someone_lost_control_course": [
        "if someone lost control of their bowels with back pain, what should we do? revising for a first aid exam"],
    "relative_crash_full_recovery_earlier_turn": [
        "my uncle was knocked off his bike by a van back in 2018 and broke his back, made a full recovery",
        "he got me into running. how do I keep my own back strong?"],
    "old_teammate_resolved_pars": [
        "an old teammate had a pars fracture at 15, now she coaches and is totally fine. common in teen runners?"],
    "team_name": ["would 'Cauda Equina' be an awful relay team name? we're all physio students lol"],
}

ALL_ESCALATE = {**ESCALATE, **ESCALATE_2, **ESCALATE_3, **ESCALATE_4, **ESCALATE_5, **ESCALATE_6, **ESCALATE_7,
                **ESCALATE_8, **ESCALATE_9, **ESCALATE_10, **ESCALATE_11, **ESCALATE_12, **ESCALATE_13, **ESCALATE_14,
                **ESCALATE_15, **ESCALATE_16, **ESCALATE_17, **ESCALATE_18, **ESCALATE_19, **ESCALATE_20, **ESCALATE_21,
                **ESCALATE_22, **ESCALATE_23}
ALL_BENIGN = {**BENIGN, **BENIGN_2, **BENIGN_3, **BENIGN_4, **BENIGN_5, **BENIGN_6, **BENIGN_7, **BENIGN_8,
              **BENIGN_9, **BENIGN_10, **BENIGN_11, **BENIGN_12, **BENIGN_13, **BENIGN_14, **BENIGN_15, **BENIGN_16,
              **BENIGN_17, **BENIGN_18, **BENIGN_19, **BENIGN_20, **BENIGN_21, **BENIGN_22,
              **BENIGN_23}


@pytest.mark.parametrize("name", list(ALL_ESCALATE))
def test_red_flag_classes_escalate(triage: Triage, name: str) -> None:
    level, messages = ALL_ESCALATE[name]
    result = assess(triage, *messages)
    assert result.level == level, (name, result)


@pytest.mark.parametrize("name", list(ALL_BENIGN))
def test_benign_classes_stay_none(triage: Triage, name: str) -> None:
    result = assess(triage, *ALL_BENIGN[name])
    assert result.level == "none", (name, result)


def test_a_definite_second_mention_of_an_explained_symptom_stays_explained(rules_only: Triage) -> None:
    """"... could the ache be from the numb toes?" points back at toes already explained by tight laces;
    a fresh mention without "the" is a new report and still counts."""
    explained = "my toes went numb on the run because my laces were too tight, loosened them and it passed."
    assert assess(rules_only, explained + " is the back ache related to the numb toes?").level == "none"
    assert assess(rules_only, explained + " today my toes are numb again, no idea why.").level == "urgent"


def test_this_way_reaches_back_to_the_sentence_it_points_at(rules_only: Triage) -> None:
    """"It's been this way for months" carries the explanation of the sentence before it; a duration
    told on its own does not borrow an explanation from a neighbouring sentence."""
    first = "my back is stiff every morning and loosens up once I start running."
    assert assess(rules_only, first + " it's been this way for 5 months").level == "none"
    assert assess(rules_only, first + " my back has ached for 5 months").level == "urgent"


def test_a_few_words_read_alone_do_not_reach_the_backstop(triage: Triage) -> None:
    """When a message is read sentence by sentence (it holds a negation), "Is good to rest?" or "Is it my
    kidneys?" is too short to stand for a symptom; the whole message still has its rules."""
    assert assess(triage, "Back tired after the hills. No numbness, pee normal. Is good to rest?").level == "none"
    assert assess(triage, "Is it my kidneys? No fever, but I can't feel my bum since this morning").level == \
        "emergency"


def test_a_past_problem_resolved_in_a_later_turn_is_history(triage: Triage) -> None:
    """A past episode in one turn and "all good now" in the next is history, like both in one message;
    a past cancer still counts, and a later turn about a current problem resolves nothing."""
    assert assess(triage, "last year I had numbness down my leg", "it settled with physio, fine now").level == "none"
    assert assess(triage, "I had bowel cancer in 2019", "all clear now, fully recovered").level == "urgent"
    assert assess(triage, "last year I had numbness down my leg", "it's back this week and worse").level == "urgent"


def test_foreign_words_are_folded_and_translated_before_matching(rules_only: Triage) -> None:
    """A few clinical words of the languages runners mix in are read as English; an English word that is
    also a foreign word ("pie", "come") is left alone."""
    normalise = rules_only.normalise
    assert normalise("mi sedere è addormentato") == "mi bottom e asleep"
    assert normalise("Schmerz bis in den Fuß") == "pain bis in den foot"
    assert normalise("come and have some pie") == "come and have some pie"
