//! `test-lanes`: runs the suite's test binaries and commands side by side, in lanes.
//!
//! `cargo test` runs one test binary after another, and many of ours spend their time waiting for
//! blocks of a chain of their own. This runner takes the binaries `cargo test --no-run
//! --message-format=json` built (`--cargo FILE`; `--cargo TAG=FILE` names them `…[TAG]`) and other
//! commands (`--job NAME=COMMAND`, run by `bash -c` in the current directory), and runs them
//! `--lanes N` at a time, longest first by the times a run recorded (`--timings FILE`; `--record
//! FILE` writes this run's). Jobs whose assertions are about timing are named: `--alone NAME` runs
//! before the others with nothing beside it; `--serial NAME` runs beside the others but never
//! beside another `--serial` job, and a lane goes to the next `--serial` job first, so that their
//! chain never waits. `--nice N` runs every job that is not `--serial` (and all it starts) at
//! niceness N, so that on a full machine the jobs whose assertions are about time get the CPU
//! first and the others take what is left.
//!
//! Each job runs as `cargo test` would run it: a test binary in its package's directory. Its output
//! goes to a log of its own, printed whole if it fails. Exit status 1 if any job failed, 2 for bad
//! arguments.

use std::{
	collections::{BTreeMap, VecDeque},
	fs,
	path::{Path, PathBuf},
	process::{Command, ExitCode, Stdio},
	sync::mpsc,
	time::{Duration, Instant},
};

struct Job {
	name: String,
	dir: PathBuf,
	program: PathBuf,
	args: Vec<String>,
}

struct Args {
	lanes: usize,
	timings: Option<PathBuf>,
	record: Option<PathBuf>,
	alone: Vec<String>,
	serial: Vec<String>,
	/// The niceness of the jobs that are not `--serial` (0: as this process).
	nice: u8,
	jobs: Vec<Job>,
}

fn usage(why: &str) -> ExitCode {
	eprintln!("test-lanes: {why}");
	eprintln!(
		"usage: test-lanes [--lanes N] [--timings FILE] [--record FILE] [--alone NAME]... [--serial NAME]... [--nice N] [--cargo [TAG=]FILE]... [--job NAME=COMMAND]..."
	);
	ExitCode::from(2)
}

/// The test executables among cargo's JSON messages, each named `package/target`
/// (`package/lib` for a library's unit tests, `package/bin:NAME` for a binary's).
/// `tag` (e.g. `[checks]`) follows each name, for binaries built twice with other features.
fn cargo_jobs(file: &Path, tag: &str) -> Result<Vec<Job>, String> {
	let text = fs::read_to_string(file).map_err(|e| format!("--cargo {}: {e}", file.display()))?;
	let mut jobs = Vec::new();
	for line in text.lines().filter(|l| l.starts_with('{')) {
		let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else { continue };
		if msg["reason"] != "compiler-artifact" || msg["profile"]["test"] != true {
			continue;
		}
		let (Some(exe), Some(manifest)) =
			(msg["executable"].as_str(), msg["manifest_path"].as_str())
		else {
			continue;
		};
		let target = msg["target"]["name"].as_str().unwrap_or("?");
		let kind = msg["target"]["kind"][0].as_str().unwrap_or("?");
		let package = package_name(msg["package_id"].as_str().unwrap_or("?"));
		let name = match kind {
			"lib" | "rlib" | "proc-macro" => format!("{package}/lib"),
			"bin" => format!("{package}/bin:{target}"),
			"bench" => format!("{package}/bench:{target}"),
			_ => format!("{package}/{target}"),
		};
		let dir = Path::new(manifest).parent().map(Path::to_path_buf).unwrap_or_default();
		// Without `--bench`, a criterion benchmark runs each of its benchmarks once, as under
		// `cargo test --benches`.
		jobs.push(Job {
			name: format!("{name}{tag}"),
			dir,
			program: PathBuf::from(exe),
			args: Vec::new(),
		});
	}
	Ok(jobs)
}

/// `path+file:///work/main/agent#grid-agent@0.1.0` → `grid-agent`; the older
/// `grid-agent 0.1.0 (path+file://…)` form too.
fn package_name(id: &str) -> String {
	if let Some((_, tail)) = id.rsplit_once('#') {
		let name = tail.split('@').next().unwrap_or(tail);
		// `…/agent#0.1.0`: the directory is the package's name.
		if name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
			let path = id.rsplit_once('#').map(|(p, _)| p).unwrap_or(id);
			return path.rsplit('/').next().unwrap_or(path).to_string();
		}
		return name.to_string();
	}
	id.split(' ').next().unwrap_or(id).to_string()
}

fn parse(mut argv: VecDeque<String>) -> Result<Args, String> {
	let mut args = Args {
		lanes: 2,
		timings: None,
		record: None,
		alone: Vec::new(),
		serial: Vec::new(),
		nice: 0,
		jobs: Vec::new(),
	};
	while let Some(flag) = argv.pop_front() {
		let mut value = || argv.pop_front().ok_or_else(|| format!("{flag} needs a value"));
		match flag.as_str() {
			"--lanes" => {
				let v = value()?;
				args.lanes = v.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
					format!("--lanes: '{v}' is not a number of lanes (1 or more)")
				})?;
			}
			"--timings" => args.timings = Some(PathBuf::from(value()?)),
			"--record" => args.record = Some(PathBuf::from(value()?)),
			"--alone" => args.alone.push(value()?),
			"--serial" => args.serial.push(value()?),
			"--nice" => {
				let v = value()?;
				args.nice = v
					.parse()
					.ok()
					.filter(|n| *n <= 19)
					.ok_or_else(|| format!("--nice: '{v}' is not a niceness from 0 to 19"))?;
			}
			"--cargo" => {
				let v = value()?;
				let (tag, file) = match v.split_once('=') {
					Some((tag, file)) => (format!("[{tag}]"), file.to_string()),
					None => (String::new(), v),
				};
				// An executable another `--cargo` file already lists runs once, under its first
				// name: a build with other features lists the test binaries it left unchanged too.
				for job in cargo_jobs(Path::new(&file), &tag)? {
					if !args.jobs.iter().any(|j| j.program == job.program) {
						args.jobs.push(job);
					}
				}
			}
			"--job" => {
				let v = value()?;
				let (name, command) = v
					.split_once('=')
					.filter(|(n, c)| !n.is_empty() && !c.is_empty())
					.ok_or_else(|| format!("--job: '{v}' is not NAME=COMMAND"))?;
				args.jobs.push(Job {
					name: name.to_string(),
					dir: PathBuf::from("."),
					program: PathBuf::from("bash"),
					args: vec!["-c".into(), command.to_string()],
				});
			}
			other => return Err(format!("unknown argument '{other}'")),
		}
	}
	if args.jobs.is_empty() {
		return Err("no jobs: give --cargo FILE or --job NAME=COMMAND".into());
	}
	let mut names = std::collections::BTreeSet::new();
	for job in &args.jobs {
		if !names.insert(job.name.as_str()) {
			return Err(format!("two jobs are named '{}'", job.name));
		}
	}
	for (flag, list) in [("--alone", &args.alone), ("--serial", &args.serial)] {
		if let Some(name) = list.iter().find(|n| !names.contains(n.as_str())) {
			return Err(format!("{flag}: no job is named '{name}'"));
		}
	}
	Ok(args)
}

/// The previous run's seconds per job: lines of `SECONDS NAME`.
fn read_timings(file: Option<&Path>) -> BTreeMap<String, f64> {
	let Some(text) = file.and_then(|f| fs::read_to_string(f).ok()) else { return BTreeMap::new() };
	text.lines()
		.filter_map(|l| l.split_once(' '))
		.filter_map(|(secs, name)| Some((name.to_string(), secs.parse().ok()?)))
		.collect()
}

struct Done {
	index: usize,
	ok: bool,
	took: Duration,
	log: PathBuf,
}

/// The command that runs `job`: as it is at niceness 0, else through `nice -n NICE`.
fn command(job: &Job, nice: u8) -> Command {
	if nice == 0 {
		let mut command = Command::new(&job.program);
		command.args(&job.args);
		return command;
	}
	let mut command = Command::new("nice");
	command.args(["-n", &nice.to_string(), "--"]).arg(&job.program).args(&job.args);
	command
}

fn start(
	index: usize,
	job: &Job,
	nice: u8,
	logs: &Path,
	tx: mpsc::Sender<Done>,
) -> Result<(), String> {
	let log = logs.join(format!("{index:03}-{}.log", job.name.replace(['/', ':'], "-")));
	let out = fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
	let err = out.try_clone().map_err(|e| format!("{}: {e}", log.display()))?;
	let began = Instant::now();
	let mut child = command(job, nice)
		.current_dir(&job.dir)
		.stdin(Stdio::null())
		.stdout(out)
		.stderr(err)
		.spawn()
		.map_err(|e| format!("{}: cannot start {}: {e}", job.name, job.program.display()))?;
	std::thread::spawn(move || {
		let ok = child.wait().map(|s| s.success()).unwrap_or(false);
		let _ = tx.send(Done { index, ok, took: began.elapsed(), log });
	});
	Ok(())
}

/// Prints a finished job's line (and its log if it failed); its name if it failed.
fn report(job: &Job, done: &Done) -> Option<String> {
	let secs = done.took.as_secs_f64();
	if done.ok {
		println!("  ok      {secs:7.1} s  {}", job.name);
		return None;
	}
	println!("  FAILED  {secs:7.1} s  {}  (log: {})", job.name, done.log.display());
	println!("---- {} ----", job.name);
	print!("{}", fs::read_to_string(&done.log).unwrap_or_default());
	println!("---- end of {} ----", job.name);
	Some(job.name.clone())
}

fn main() -> ExitCode {
	let args = match parse(std::env::args().skip(1).collect()) {
		Ok(args) => args,
		Err(why) => return usage(&why),
	};
	let before = read_timings(args.timings.as_deref());
	let logs = match tempfile::Builder::new().prefix("test-lanes.").tempdir() {
		Ok(dir) => dir.keep(),
		Err(e) => return usage(&format!("cannot make a log directory: {e}")),
	};
	// Jobs that must run alone first, then the others longest first (unknown ones first of all:
	// they may be long).
	let mut order: Vec<usize> = (0..args.jobs.len()).collect();
	let secs = |i: &usize| before.get(&args.jobs[*i].name).copied().unwrap_or(f64::MAX);
	order.sort_by(|a, b| secs(b).total_cmp(&secs(a)));
	let (alone, rest): (Vec<usize>, Vec<usize>) =
		order.into_iter().partition(|i| args.alone.contains(&args.jobs[*i].name));
	println!(
		"test-lanes: {} jobs, {} alone first, then {} lanes; logs in {}",
		args.jobs.len(),
		alone.len(),
		args.lanes,
		logs.display()
	);

	let began = Instant::now();
	let (tx, rx) = mpsc::channel::<Done>();
	let mut results: Vec<Option<Done>> = (0..args.jobs.len()).map(|_| None).collect();
	let mut failed = Vec::new();
	let waves = alone.into_iter().map(|i| (vec![i], 1)).chain(std::iter::once((rest, args.lanes)));
	for (queue, lanes) in waves {
		let mut queue: Vec<usize> = queue;
		let mut running: Vec<usize> = Vec::new();
		loop {
			while running.len() < lanes {
				let is_serial = |i: usize| args.serial.contains(&args.jobs[i].name);
				let Some(at) = next(&queue, &running, is_serial) else { break };
				let i = queue.remove(at);
				let nice = if is_serial(i) { 0 } else { args.nice };
				match start(i, &args.jobs[i], nice, &logs, tx.clone()) {
					Ok(()) => running.push(i),
					Err(why) => {
						println!("  FAILED  {why}");
						failed.push(args.jobs[i].name.clone());
					}
				}
			}
			if running.is_empty() {
				break;
			}
			let Ok(done) = rx.recv() else { break };
			running.retain(|r| *r != done.index);
			failed.extend(report(&args.jobs[done.index], &done));
			let index = done.index;
			results[index] = Some(done);
		}
	}

	let wall = began.elapsed().as_secs_f64();
	let mut took: Vec<(f64, &str)> = results
		.iter()
		.flatten()
		.map(|d| (d.took.as_secs_f64(), args.jobs[d.index].name.as_str()))
		.collect();
	took.sort_by(|a, b| b.0.total_cmp(&a.0));
	let sum: f64 = took.iter().map(|t| t.0).sum();
	println!("test-lanes: {wall:.0} s wall for {sum:.0} s of jobs; the longest:");
	for (secs, name) in took.iter().take(8) {
		println!("  {secs:7.1} s  {name}");
	}
	if let Some(file) = &args.record {
		let text: String = took.iter().map(|(secs, name)| format!("{secs:.1} {name}\n")).collect();
		if let Err(e) = fs::write(file, text) {
			println!("test-lanes: cannot write {}: {e}", file.display());
		}
	}
	if failed.is_empty() {
		ExitCode::SUCCESS
	} else {
		println!("test-lanes: {} failed: {}", failed.len(), failed.join(", "));
		ExitCode::from(1)
	}
}

/// Where in `queue` (longest first) the job a free lane takes is: the first `--serial` job when
/// none runs (they follow one another, so their chain is the run's longest path and must never
/// wait for a lane), else the first job that is not `--serial`.
fn next(queue: &[usize], running: &[usize], is_serial: impl Fn(usize) -> bool) -> Option<usize> {
	if running.iter().any(|&r| is_serial(r)) {
		queue.iter().position(|&i| !is_serial(i))
	} else {
		queue.iter().position(|&i| is_serial(i)).or((!queue.is_empty()).then_some(0))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn args(list: &[&str]) -> Result<Args, String> {
		parse(list.iter().map(|s| s.to_string()).collect())
	}

	#[test]
	fn a_package_is_named_from_either_form_of_cargos_package_id() {
		assert_eq!(package_name("path+file:///work/main/agent#grid-agent@0.1.0"), "grid-agent");
		assert_eq!(package_name("path+file:///work/main/agent#0.1.0"), "agent");
		assert_eq!(package_name("grid-agent 0.1.0 (path+file:///work/main/agent)"), "grid-agent");
	}

	#[test]
	fn bad_arguments_are_named() {
		let why = |list: &[&str]| args(list).err().unwrap_or_default();
		assert_eq!(
			why(&["--lanes", "0", "--job", "a=true"]),
			"--lanes: '0' is not a number of lanes (1 or more)"
		);
		assert_eq!(why(&["--job", "a"]), "--job: 'a' is not NAME=COMMAND");
		assert_eq!(why(&["--job", "a=true", "--job", "a=false"]), "two jobs are named 'a'");
		assert_eq!(why(&["--job", "a=true", "--serial", "b"]), "--serial: no job is named 'b'");
		assert_eq!(
			why(&["--job", "a=true", "--nice", "20"]),
			"--nice: '20' is not a niceness from 0 to 19"
		);
		assert_eq!(why(&["--lanes"]), "--lanes needs a value");
		assert_eq!(why(&["--what"]), "unknown argument '--what'");
		assert_eq!(why(&[]), "no jobs: give --cargo FILE or --job NAME=COMMAND");
	}

	#[test]
	fn a_job_runs_at_the_niceness_it_is_given() {
		let job = Job {
			name: "n".into(),
			dir: PathBuf::from("."),
			program: PathBuf::from("sh"),
			args: vec!["-c".into(), "cut -d ' ' -f 19 /proc/self/stat".into()],
		};
		let niceness = |nice: u8| {
			let out = command(&job, nice).output().unwrap_or_else(|e| panic!("run: {e}"));
			String::from_utf8_lossy(&out.stdout).trim().to_string()
		};
		let own = niceness(0).parse::<i32>().unwrap_or_else(|e| panic!("niceness: {e}"));
		assert_eq!(niceness(7), (own + 7).min(19).to_string());
	}

	#[test]
	fn the_test_executables_of_cargos_messages_become_jobs_in_their_packages_directory() {
		let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
		let file = dir.path().join("built.json");
		let artifact = |kind: &str, name: &str, test: bool, exe: Option<&str>| {
			serde_json::json!({
				"reason": "compiler-artifact",
				"package_id": "path+file:///w/agent#grid-agent@0.1.0",
				"manifest_path": "/w/agent/Cargo.toml",
				"target": { "kind": [kind], "name": name },
				"profile": { "test": test },
				"executable": exe,
			})
			.to_string()
		};
		let lines = [
			artifact("test", "agent", true, Some("/t/agent-1")),
			artifact("lib", "grid_agent", true, Some("/t/grid_agent-2")),
			artifact("bin", "grid-agent", false, Some("/t/grid-agent")),
			artifact("lib", "dep", false, None),
			r#"{"reason":"build-finished","success":true}"#.to_string(),
			"   Compiling grid-agent".to_string(),
		];
		std::fs::write(&file, lines.join("\n")).unwrap_or_else(|e| panic!("write: {e}"));
		let jobs = cargo_jobs(&file, "[checks]").unwrap_or_else(|e| panic!("{e}"));
		let seen: Vec<(&str, &str, &str)> = jobs
			.iter()
			.map(|j| {
				(j.name.as_str(), j.dir.to_str().unwrap_or("?"), j.program.to_str().unwrap_or("?"))
			})
			.collect();
		assert_eq!(
			seen,
			[
				("grid-agent/agent[checks]", "/w/agent", "/t/agent-1"),
				("grid-agent/lib[checks]", "/w/agent", "/t/grid_agent-2"),
			]
		);
	}

	#[test]
	fn an_executable_two_builds_list_runs_once_under_its_first_name() {
		let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
		// A file of cargo's messages: the unit tests of each (package, executable).
		let write = |name: &str, units: &[(&str, &str)]| {
			let lines: Vec<String> = units
				.iter()
				.map(|(package, exe)| {
					serde_json::json!({
						"reason": "compiler-artifact",
						"package_id": format!("path+file:///w/{package}#{package}@0.1.0"),
						"manifest_path": format!("/w/{package}/Cargo.toml"),
						"target": { "kind": ["lib"], "name": package },
						"profile": { "test": true },
						"executable": exe,
					})
					.to_string()
				})
				.collect();
			let file = dir.path().join(name);
			std::fs::write(&file, lines.join("\n")).unwrap_or_else(|e| panic!("write: {e}"));
			file.display().to_string()
		};
		let all = write("all", &[("a", "/t/a-1"), ("b", "/t/b-1")]);
		// Built again with other features, `a` is a new executable; `b`, which does not use
		// them, is the same one.
		let checks = write("checks", &[("a", "/t/a-2"), ("b", "/t/b-1"), ("c", "/t/c-2")]);
		let parsed = args(&["--cargo", &all, "--cargo", &format!("checks={checks}")])
			.unwrap_or_else(|e| panic!("{e}"));
		let jobs: Vec<(&str, &str)> = parsed
			.jobs
			.iter()
			.map(|j| (j.name.as_str(), j.program.to_str().unwrap_or("?")))
			.collect();
		assert_eq!(
			jobs,
			[
				("a/lib", "/t/a-1"),
				("b/lib", "/t/b-1"),
				("a/lib[checks]", "/t/a-2"),
				("c/lib[checks]", "/t/c-2"),
			]
		);
	}

	#[test]
	fn a_free_lane_takes_the_next_serial_job_unless_one_runs() {
		let serial = |i: usize| i >= 10;
		// Nothing serial runs: the serial job goes first, though a longer job is queued before it.
		assert_eq!(next(&[1, 2, 10, 11], &[3], serial), Some(2));
		// A serial job runs: the first job that is not serial.
		assert_eq!(next(&[10, 1, 11, 2], &[11], serial), Some(1));
		// Only serial jobs are left while one runs: the lane waits.
		assert_eq!(next(&[10, 12], &[11], serial), None);
		// No serial job queued: longest first.
		assert_eq!(next(&[4, 5], &[], serial), Some(0));
		assert_eq!(next(&[], &[], serial), None);
	}
}
