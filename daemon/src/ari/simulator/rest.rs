//! The simulator's REST surface: Asterisk 22's ARI paths, parameters, status codes and
//! error bodies for the subset Ringside uses. Pure request -> (status, body) over the world
//! state; the HTTP server around it is in [`super::server`].

use serde_json::{Value, json};
use std::collections::BTreeMap;

use super::script::Reaction;
use super::state::{
    ASTERISK_ID, Continued, OnAnswer, Origin, SimBridge, SimChannel, State, World, start_dial,
    start_originate, start_playback, timestamp, world_after,
};
use crate::ari::model::{Application, Bridge, CallerId, DialplanCep, cause};

pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
}

fn ok(body: Value) -> Reply {
    Reply {
        status: 200,
        body: Some(body),
    }
}
fn no_content() -> Reply {
    Reply {
        status: 204,
        body: None,
    }
}
fn err(status: u16, message: &str) -> Reply {
    Reply {
        status,
        body: Some(json!({ "message": message })),
    }
}

struct Params<'a>(&'a BTreeMap<String, String>);
impl Params<'_> {
    fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// Answers one request. `path` is below `/ari`.
pub(crate) fn handle(
    world: &World,
    st: &mut State,
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
    body: Option<&Value>,
) -> Reply {
    if let Some(i) = st
        .failures
        .iter()
        .position(|f| f.method.eq_ignore_ascii_case(method) && path.starts_with(&f.path_prefix))
    {
        let f = &mut st.failures[i];
        f.remaining = f.remaining.saturating_sub(1);
        let reply = Reply {
            status: f.status,
            body: Some(f.body.clone()),
        };
        if f.remaining == 0 {
            st.failures.remove(i);
        }
        return reply;
    }
    let p = Params(query);
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let vars = body
        .and_then(|b| b.get("variables"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect::<BTreeMap<_, _>>()
        })
        .unwrap_or_default();
    match (method, segs.as_slice()) {
        ("GET", ["asterisk", "variable"]) => match p.get("variable") {
            Some(name) => ok(json!({"value": st.globals.get(name).cloned().unwrap_or_default()})),
            None => err(400, "Variable name is required"),
        },
        ("POST", ["asterisk", "variable"]) => match p.get("variable") {
            Some(name) => {
                // No `value`: Asterisk removes the variable; an empty one sets it empty.
                match p.get("value") {
                    Some(value) => st.globals.insert(name.to_owned(), value.to_owned()),
                    None => st.globals.remove(name),
                };
                no_content()
            }
            None => err(400, "Variable name is required"),
        },
        ("GET", ["channels"]) => ok(json!(
            st.channels.values().map(|c| &c.chan).collect::<Vec<_>>()
        )),
        ("POST", ["channels"]) => originate(world, st, None, &p, vars),
        ("POST", ["channels", "create"]) => create(world, st, &p, vars),
        ("GET", ["channels", id]) => match st.channels.get(*id) {
            Some(c) => ok(json!(c.chan)),
            None => err(404, "Channel not found"),
        },
        ("POST", ["channels", id]) => originate(world, st, Some(id), &p, vars),
        ("DELETE", ["channels", id]) => hangup(st, id, &p),
        ("POST", ["channels", id, "dial"]) => dial(world, st, id, &p),
        ("POST", ["channels", id, "answer"]) => in_stasis(st, id, |st| {
            st.set_state(id, "Up");
            no_content()
        }),
        ("POST", ["channels", id, "ring"]) => on_channel(st, id, |c| c.ringing_indicated = true),
        ("DELETE", ["channels", id, "ring"]) => on_channel(st, id, |c| c.ringing_indicated = false),
        ("POST", ["channels", id, "moh"]) => on_channel(st, id, |c| c.moh = true),
        ("DELETE", ["channels", id, "moh"]) => on_channel(st, id, |c| c.moh = false),
        ("POST", ["channels", id, "continue"]) => continue_in_dialplan(st, id, &p),
        ("POST", ["channels", id, "play"]) => {
            let pb = p.get("playbackId").map(str::to_owned);
            play(world, st, id, pb, &p)
        }
        ("POST", ["channels", id, "play", pb]) => play(world, st, id, Some((*pb).to_owned()), &p),
        ("GET", ["channels", id, "variable"]) => {
            let Some(name) = p.get("variable") else {
                return err(400, "Variable name is required");
            };
            match st.channels.get(*id) {
                None => err(404, "Provided channel was not found"),
                Some(c) => match c.vars.get(name) {
                    Some(v) => ok(json!({ "value": v })),
                    None => err(404, "Provided variable was not found"),
                },
            }
        }
        ("POST", ["channels", id, "variable"]) => {
            let Some(name) = p.get("variable") else {
                return err(400, "Variable name is required");
            };
            if !st.channels.contains_key(*id) {
                return err(404, "Provided channel was not found");
            }
            let value = p.get("value").unwrap_or_default().to_owned();
            st.set_var(id, name, &value);
            no_content()
        }
        ("GET", ["bridges"]) => ok(json!(
            st.bridges.values().map(|b| &b.bridge).collect::<Vec<_>>()
        )),
        ("POST", ["bridges"]) => {
            let id = p
                .get("bridgeId")
                .map(str::to_owned)
                .unwrap_or_else(|| st.unique_id());
            create_bridge(st, &id, &p)
        }
        ("POST", ["bridges", id]) => create_bridge(st, id, &p),
        ("GET", ["bridges", id]) => match st.bridges.get(*id) {
            Some(b) => ok(json!(b.bridge)),
            None => err(404, "Bridge not found"),
        },
        ("DELETE", ["bridges", id]) => destroy_bridge(st, id),
        ("POST", ["bridges", id, "addChannel"]) => add_channels(st, id, &p),
        ("POST", ["bridges", id, "removeChannel"]) => remove_channel(st, id, &p),
        ("DELETE", ["playbacks", id]) => {
            if st.playbacks.contains_key(*id) {
                st.finish_playback(id, "done");
                no_content()
            } else {
                err(404, "Playback not found")
            }
        }
        ("GET", ["playbacks", id]) => match st.playbacks.get(*id) {
            Some(pb) => ok(json!(pb.playback)),
            None => err(404, "Playback not found"),
        },
        ("GET", ["applications"]) => {
            let mut names: Vec<_> = st.known_apps.iter().cloned().collect();
            names.sort();
            ok(json!(
                names.iter().map(|n| application(st, n)).collect::<Vec<_>>()
            ))
        }
        ("GET", ["applications", name]) => {
            if st.known_apps.contains(*name) {
                ok(json!(application(st, name)))
            } else {
                err(404, "Application not found")
            }
        }
        ("POST", ["applications", name, "subscription"]) => {
            if !st.known_apps.contains(*name) {
                return err(404, "Application not found");
            }
            let Some(source) = p.get("eventSource") else {
                return err(400, "Missing parameter eventSource");
            };
            let Some(ch) = source.strip_prefix("channel:") else {
                return err(400, "Invalid event source URI scheme");
            };
            match st.channels.get_mut(ch) {
                Some(c) => {
                    c.subscribers.insert((*name).to_owned());
                    ok(json!(application(st, name)))
                }
                None => err(422, "Event source does not exist"),
            }
        }
        ("GET", ["deviceStates"]) => ok(json!(
            st.device_states
                .iter()
                .map(|(name, state)| json!({"name": name, "state": state}))
                .collect::<Vec<_>>()
        )),
        ("GET", ["deviceStates", name]) => ok(json!({
            "name": name,
            "state": st.device_states.get(*name).map(String::as_str).unwrap_or("UNKNOWN"),
        })),
        ("PUT", ["deviceStates", name]) => {
            const STATES: [&str; 8] = [
                "NOT_INUSE",
                "INUSE",
                "BUSY",
                "INVALID",
                "UNAVAILABLE",
                "RINGING",
                "RINGINUSE",
                "ONHOLD",
            ];
            let Some(state) = p.get("deviceState") else {
                return err(400, "deviceState: Missing required field");
            };
            if !STATES.contains(&state) {
                return err(400, "deviceState: Invalid value");
            }
            // Asterisk lets ARI control only devices of its own `Stasis:` scheme.
            if !name.starts_with("Stasis:") {
                return err(409, "Uncontrolled device specified");
            }
            st.device_states
                .insert((*name).to_owned(), state.to_owned());
            no_content()
        }
        ("DELETE", ["deviceStates", name]) => {
            if !name.starts_with("Stasis:") {
                return err(409, "Uncontrolled device specified");
            }
            match st.device_states.remove(*name) {
                Some(_) => no_content(),
                None => err(404, "Device name is missing"),
            }
        }
        ("GET", ["asterisk", "ping"]) => ok(json!({
            "asterisk_id": ASTERISK_ID, "ping": "pong", "timestamp": timestamp()
        })),
        ("GET", ["asterisk", "info"]) => ok(json!({
            "build": {"os": "Linux", "kernel": "6.1.0", "machine": "x86_64", "options": "", "date": "2026-01-01 00:00:00 UTC", "user": "ringside"},
            "system": {"version": st.version, "entity_id": ASTERISK_ID},
            "config": {"name": "ringside-simulator", "default_language": "en", "setid": {"user": "asterisk", "group": "asterisk"}},
            "status": {"startup_time": timestamp(), "last_reload_time": timestamp()}
        })),
        _ => Reply {
            status: 404,
            body: Some(json!({"message": "Resource not found"})),
        },
    }
}

/// As Asterisk lists an application: its channels are those in it and those it is subscribed
/// to (an originated call still ringing, a call continued into the dialplan but watched).
fn application(st: &State, name: &str) -> Application {
    let mut channel_ids: Vec<String> = st
        .channels
        .iter()
        .filter(|(_, c)| c.stasis_app.as_deref() == Some(name) || c.subscribers.contains(name))
        .map(|(id, _)| id.clone())
        .collect();
    channel_ids.sort();
    let mut bridge_ids: Vec<String> = st
        .bridges
        .iter()
        .filter(|(_, b)| b.app == name)
        .map(|(id, _)| id.clone())
        .collect();
    bridge_ids.sort();
    Application {
        name: name.to_owned(),
        channel_ids,
        bridge_ids,
        endpoint_ids: Vec::new(),
        device_names: Vec::new(),
    }
}

/// Changes a channel in Stasis and answers 204, as the ring and music-on-hold requests do.
fn on_channel(st: &mut State, id: &str, change: impl FnOnce(&mut SimChannel)) -> Reply {
    in_stasis(st, id, |st| {
        if let Some(c) = st.channels.get_mut(id) {
            change(c);
        }
        no_content()
    })
}

fn in_stasis(st: &mut State, id: &str, f: impl FnOnce(&mut State) -> Reply) -> Reply {
    match st.channels.get(id) {
        None => err(404, "Channel not found"),
        Some(c) if c.stasis_app.is_none() => err(412, "Channel not in Stasis application"),
        Some(_) => f(st),
    }
}

fn create(world: &World, st: &mut State, p: &Params<'_>, vars: BTreeMap<String, String>) -> Reply {
    let Some(endpoint) = p.get("endpoint") else {
        return err(400, "Endpoint must be specified");
    };
    let Some(app) = p.get("app") else {
        return err(400, "Application must be specified");
    };
    let id = p
        .get("channelId")
        .map(str::to_owned)
        .unwrap_or_else(|| st.unique_id());
    if st.channels.contains_key(&id) {
        return err(409, "Channel with given unique ID already exists");
    }
    if !endpoint.contains('/') || st.script_for(endpoint).reaction == Reaction::Unreachable {
        return Reply {
            status: 500,
            body: Some(json!({"error": "Allocation failed"})),
        };
    }
    let number = endpoint
        .split_once('/')
        .map(|(_, r)| r.split('@').next().unwrap_or(r))
        .unwrap_or("");
    let context = endpoint
        .split_once('@')
        .map(|(_, c)| c)
        .unwrap_or("default");
    let dialplan = DialplanCep {
        context: context.to_owned(),
        exten: number.to_owned(),
        priority: 1,
        app_name: String::new(),
        app_data: String::new(),
    };
    let args: Vec<String> = p
        .get("appArgs")
        .map(|a| a.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let ch = st.new_channel(
        id.clone(),
        endpoint,
        Origin::Rest,
        CallerId::default(),
        dialplan,
        "Down",
    );
    ch.subscribers.insert(app.to_owned());
    let response = json!(ch.chan);
    for (k, v) in &vars {
        st.set_var(&id, k, v);
    }
    let mut dp = response.clone();
    dp["dialplan"]["app_name"] = json!("Stasis");
    dp["dialplan"]["app_data"] = json!(app);
    st.emit(
        &id,
        "ChannelDialplan",
        json!({"dialplan_app": "Stasis", "dialplan_app_data": app}),
    );
    match st.stasis_start_delay {
        // A loaded or just-restarted Asterisk answers the create before the channel's
        // StasisStart; until then the channel is not in the app.
        Some(delay) => {
            let app = app.to_owned();
            world_after(world, st, &id, delay, move |_w, st, id| {
                st.enter_stasis(id, &app, args, true)
            });
        }
        None => st.enter_stasis(&id, app, args, true),
    }
    ok(response)
}

fn dial(world: &World, st: &mut State, id: &str, p: &Params<'_>) -> Reply {
    let Some(ch) = st.channels.get(id) else {
        return err(404, "Channel not found");
    };
    if ch.dialed {
        // Asterisk 22's words for dialling a channel twice (checked against a real one).
        return err(409, "Channel is not in the 'Down' state");
    }
    if ch.stasis_app.is_none() {
        // Asterisk 22's words (`find_control` in res/ari/resource_channels.c).
        return err(409, "Channel not in Stasis application");
    }
    let timeout = match p.get("timeout").map(str::parse::<i64>) {
        Some(Ok(t)) if t > 0 => Some(st.second * t as u32),
        Some(Err(_)) => return err(400, "timeout must be an integer"),
        _ => None,
    };
    if st.leg_event_order == super::state::LegEventOrder::AnswerFirst {
        if let Some(c) = st.channels.get_mut(id) {
            c.dialed = true;
        }
        world_after(world, st, id, super::state::ORDER_GAP, move |w, st, id| {
            start_dial(w, st, id, timeout)
        });
    } else {
        start_dial(world, st, id, timeout);
    }
    no_content()
}

fn originate(
    world: &World,
    st: &mut State,
    path_id: Option<&str>,
    p: &Params<'_>,
    vars: BTreeMap<String, String>,
) -> Reply {
    let Some(endpoint) = p.get("endpoint") else {
        return err(400, "Endpoint must be specified");
    };
    let app = p.get("app");
    let extension = p.get("extension");
    if app.is_none() && extension.is_none() {
        return err(400, "Application or extension must be specified");
    }
    let id = path_id
        .map(str::to_owned)
        .or_else(|| p.get("channelId").map(str::to_owned))
        .unwrap_or_else(|| st.unique_id());
    if st.channels.contains_key(&id) {
        return err(409, "Channel with given unique ID already exists");
    }
    if !endpoint.contains('/') || st.script_for(endpoint).reaction == Reaction::Unreachable {
        return Reply {
            status: 500,
            body: Some(json!({"error": "Allocation failed"})),
        };
    }
    let timeout_secs = match p.get("timeout").map(str::parse::<i64>) {
        Some(Ok(t)) if t > 0 => t as u32,
        Some(Err(_)) => return err(400, "timeout must be an integer"),
        _ => 30,
    };
    let timeout = st.second * timeout_secs;
    let on_answer = match (app, extension) {
        (Some(app), _) => OnAnswer::Stasis {
            app: app.to_owned(),
            args: p
                .get("appArgs")
                .map(|a| a.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
        },
        (None, Some(ext)) => OnAnswer::Context {
            context: p.get("context").unwrap_or("default").to_owned(),
            extension: ext.to_owned(),
            priority: p.get("priority").and_then(|v| v.parse().ok()).unwrap_or(1),
        },
        (None, None) => OnAnswer::Nothing,
    };
    let number = endpoint
        .split_once('/')
        .map(|(_, r)| r.split('@').next().unwrap_or(r))
        .unwrap_or("");
    let context = endpoint
        .split_once('@')
        .map(|(_, c)| c)
        .unwrap_or("default");
    let dialplan = DialplanCep {
        context: context.to_owned(),
        exten: number.to_owned(),
        priority: 1,
        app_name: "AppDial2".into(),
        app_data: "(Outgoing Line)".into(),
    };
    let caller = match p.get("callerId") {
        Some(cid) => parse_caller_id(cid),
        None => CallerId::default(),
    };
    let ch = st.new_channel(id.clone(), endpoint, Origin::Rest, caller, dialplan, "Down");
    if let Some(app) = app {
        ch.subscribers.insert(app.to_owned());
    }
    ch.on_answer = on_answer;
    ch.dialed = true;
    for (k, v) in &vars {
        if let Some(c) = st.channels.get_mut(&id) {
            c.vars.insert(k.clone(), v.clone());
            match k.as_str() {
                "CALLERID(num)" => c.chan.caller.number = v.clone(),
                "CALLERID(name)" => c.chan.caller.name = v.clone(),
                _ => {}
            }
        }
    }
    let response = st
        .channels
        .get(&id)
        .map(|c| json!(c.chan))
        .unwrap_or(Value::Null);
    start_originate(world, st, &id, timeout);
    ok(response)
}

/// `"Name" <1234>` or `1234`.
fn parse_caller_id(s: &str) -> CallerId {
    match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => CallerId {
            name: s[..a].trim().trim_matches('"').to_owned(),
            number: s[a + 1..b].to_owned(),
        },
        _ => CallerId {
            name: String::new(),
            number: s.to_owned(),
        },
    }
}

fn hangup(st: &mut State, id: &str, p: &Params<'_>) -> Reply {
    if !st.channels.contains_key(id) {
        return err(404, "Channel not found");
    }
    let reason = p.get("reason");
    let final_cause = match reason {
        None | Some("normal") => cause::NORMAL_CLEARING,
        Some("busy") => cause::USER_BUSY,
        Some("congestion") => cause::CONGESTION,
        Some("no_answer") => cause::NO_ANSWER,
        Some("rejected") => cause::CALL_REJECTED,
        Some("answered_elsewhere") => cause::ANSWERED_ELSEWHERE,
        Some("timeout") => cause::NO_USER_RESPONSE,
        Some("unallocated") => cause::UNALLOCATED,
        Some(other) => return err(400, &format!("Invalid reason for hangup provided: {other}")),
    };
    if let Some(c) = st.channels.get_mut(id) {
        c.hangup_reason = reason.map(str::to_owned);
    }
    // Recorded from Asterisk 22: an app hang-up shows as a soft request with cause 32.
    st.hangup(id, Some((32, true)), final_cause);
    no_content()
}

fn continue_in_dialplan(st: &mut State, id: &str, p: &Params<'_>) -> Reply {
    let Some(ch) = st.channels.get(id) else {
        return err(404, "Channel not found");
    };
    if ch.stasis_app.is_none() {
        return err(412, "Channel not in Stasis application");
    }
    let current = ch.chan.dialplan.clone();
    let context = p.get("context").map(str::to_owned);
    let extension = p.get("extension").map(str::to_owned);
    let priority = p.get("priority").and_then(|v| v.parse::<i64>().ok());
    let target = if context.is_none() && extension.is_none() && priority.is_none() {
        Continued {
            context: current.context,
            extension: current.exten,
            priority: current.priority + 1,
        }
    } else {
        Continued {
            context: context.unwrap_or(current.context),
            extension: extension.unwrap_or(current.exten),
            priority: priority.unwrap_or(1),
        }
    };
    st.leave_bridge(id);
    st.emit(id, "StasisEnd", json!({}));
    let origin = st.channels.get(id).map(|c| c.origin);
    if let Some(c) = st.channels.get_mut(id) {
        c.stasis_app = None;
        if origin == Some(Origin::Dialplan) {
            c.subscribers.clear();
        }
        c.vars.insert("STASISSTATUS".into(), "SUCCESS".into());
        c.chan.dialplan.context = target.context.clone();
        c.chan.dialplan.exten = target.extension.clone();
        c.chan.dialplan.priority = target.priority;
        c.chan.dialplan.app_name.clear();
        c.chan.dialplan.app_data.clear();
        c.continued = Some(target);
    }
    no_content()
}

fn play(
    world: &World,
    st: &mut State,
    id: &str,
    playback_id: Option<String>,
    p: &Params<'_>,
) -> Reply {
    let Some(media) = p.get("media") else {
        return err(400, "media must be specified");
    };
    let app = match st.channels.get(id) {
        None => return err(404, "Channel not found"),
        Some(c) => match &c.stasis_app {
            None => return err(412, "Channel not in Stasis application"),
            Some(app) => app.clone(),
        },
    };
    let pid = playback_id.unwrap_or_else(|| st.unique_id());
    if st.playbacks.contains_key(&pid) {
        return err(409, "Playback with given id already exists");
    }
    let pb = start_playback(world, st, id, &pid, media, &app);
    Reply {
        status: 201,
        body: Some(json!(pb)),
    }
}

fn create_bridge(st: &mut State, id: &str, p: &Params<'_>) -> Reply {
    if st.bridges.contains_key(id) {
        return err(409, "Bridge with this ID already exists");
    }
    let kind = p.get("type").unwrap_or("mixing");
    let bridge = Bridge {
        id: id.to_owned(),
        technology: "simple_bridge".into(),
        bridge_type: if kind.contains("holding") {
            "holding".into()
        } else {
            "mixing".into()
        },
        bridge_class: "stasis".into(),
        creator: "Stasis".into(),
        name: p.get("name").unwrap_or_default().to_owned(),
        channels: Vec::new(),
        creationtime: timestamp(),
        video_mode: "talker".into(),
    };
    // A bridge belongs to the app of the channels put into it (set on addChannel).
    let app = String::new();
    let body = json!(bridge);
    st.bridges.insert(id.to_owned(), SimBridge { bridge, app });
    ok(body)
}

fn add_channels(st: &mut State, bridge_id: &str, p: &Params<'_>) -> Reply {
    if !st.bridges.contains_key(bridge_id) {
        return err(404, "Bridge not found");
    }
    let Some(list) = p.get("channel") else {
        return err(400, "Missing parameter channel");
    };
    let ids: Vec<&str> = list.split(',').filter(|s| !s.is_empty()).collect();
    for id in &ids {
        match st.channels.get(*id) {
            None => return err(400, "Channel not found"),
            Some(c) if c.stasis_app.is_none() => {
                return err(422, "Channel not in Stasis application");
            }
            Some(_) => {}
        }
    }
    for id in &ids {
        st.leave_bridge(id);
        let bridge_json = match st.bridges.get_mut(bridge_id) {
            Some(b) => {
                b.bridge.channels.push((*id).to_owned());
                json!(b.bridge)
            }
            None => return err(404, "Bridge not found"),
        };
        let app = st.channels.get_mut(*id).and_then(|c| {
            c.bridge = Some(bridge_id.to_owned());
            c.stasis_app.clone()
        });
        if let (Some(app), Some(b)) = (app, st.bridges.get_mut(bridge_id)) {
            if b.app.is_empty() {
                b.app = app;
            }
        }
        st.emit(id, "ChannelEnteredBridge", json!({"bridge": bridge_json}));
    }
    let members = st
        .bridges
        .get(bridge_id)
        .map(|b| b.bridge.channels.clone())
        .unwrap_or_default();
    if members.len() == 2 {
        let names: Vec<String> = members
            .iter()
            .map(|m| {
                st.channels
                    .get(m)
                    .map(|c| c.chan.name.clone())
                    .unwrap_or_default()
            })
            .collect();
        st.emit(
            &members[0],
            "ChannelVarset",
            json!({"variable": "BRIDGEPEER", "value": names[1]}),
        );
        st.emit(
            &members[1],
            "ChannelVarset",
            json!({"variable": "BRIDGEPEER", "value": names[0]}),
        );
    }
    no_content()
}

fn remove_channel(st: &mut State, bridge_id: &str, p: &Params<'_>) -> Reply {
    if !st.bridges.contains_key(bridge_id) {
        return err(404, "Bridge not found");
    }
    let Some(id) = p.get("channel") else {
        return err(400, "Missing parameter channel");
    };
    match st.channels.get(id) {
        None => err(400, "Channel not found"),
        Some(c) if c.bridge.as_deref() != Some(bridge_id) => err(422, "Channel not in this bridge"),
        Some(_) => {
            st.leave_bridge(id);
            no_content()
        }
    }
}

fn destroy_bridge(st: &mut State, bridge_id: &str) -> Reply {
    let Some(b) = st.bridges.get(bridge_id) else {
        return err(404, "Bridge not found");
    };
    let app = b.app.clone();
    for id in b.bridge.channels.clone() {
        st.leave_bridge(&id);
    }
    if let Some(b) = st.bridges.remove(bridge_id).filter(|_| !app.is_empty()) {
        let mut m = serde_json::Map::new();
        m.insert("type".into(), json!("BridgeDestroyed"));
        m.insert("timestamp".into(), json!(timestamp()));
        m.insert("asterisk_id".into(), json!(ASTERISK_ID));
        m.insert("bridge".into(), json!(b.bridge));
        st.deliver(&[app], Value::Object(m));
    }
    no_content()
}
