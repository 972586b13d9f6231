"""Regenerate the emulator's sample recording (real synthetic speech) and its word timings.

Needs espeak-ng (Debian package). Each word is spoken on its own, trimmed of silence and joined with
short gaps, so every word's start and end in the WAV is known exactly; two voices make two speakers.

    python scripts/make_sample.py   # writes stt_cli/emulator/data/talk.wav and talk.json
"""

from __future__ import annotations

import array
import hashlib
import json
import subprocess
import tempfile
import wave
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "stt_cli" / "emulator" / "data"
RATE = 16000
VOICES = {0: "en-us+m3", 1: "en-us+f3"}
TURNS = [
    (0, "Welcome to the speech to text command line tool."),
    (1, "Thanks. This recording was made offline, with a speech synthesizer."),
    (0, "Every word you hear has a known start and end time."),
    (1, "So subtitles and speaker labels work without an account."),
]
WORD_GAP = 0.06  # s of silence between words
SENTENCE_GAP = 0.45  # s after a full stop or comma-free sentence end
TURN_GAP = 0.7  # s between speakers
THRESHOLD = 400  # amplitude under which a sample counts as silence


def speak(word: str, voice: str) -> array.array[int]:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "w.wav"
        out = Path(tmp) / "r.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "210", "-w", str(raw), word], check=True)
        subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out)], check=True)
        with wave.open(str(out)) as handle:
            samples = array.array("h", handle.readframes(handle.getnframes()))
    loud = [i for i, s in enumerate(samples) if abs(s) > THRESHOLD]
    return samples[loud[0] : loud[-1] + 1] if loud else array.array("h")


def main() -> None:
    audio = array.array("h", [0] * int(0.3 * RATE))
    words = []
    for turn_index, (speaker, sentence) in enumerate(TURNS):
        tokens = sentence.split()
        for index, token in enumerate(tokens):
            bare = token.strip(".,").lower()
            clip = speak(bare, VOICES[speaker])
            start = len(audio) / RATE
            audio.extend(clip)
            end = len(audio) / RATE
            words.append(
                {
                    "word": bare,
                    "punctuated_word": token,
                    "start": round(start, 3),
                    "end": round(end, 3),
                    "speaker": speaker,
                }
            )
            last = index == len(tokens) - 1
            gap = (
                (TURN_GAP if turn_index < len(TURNS) - 1 else 0.3)
                if last
                else (SENTENCE_GAP if token.endswith(".") else 0.18 if token.endswith(",") else WORD_GAP)
            )
            audio.extend([0] * int(gap * RATE))
    OUT.mkdir(parents=True, exist_ok=True)
    wav_path = OUT / "talk.wav"
    with wave.open(str(wav_path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(audio.tobytes())
    sha = hashlib.sha256(wav_path.read_bytes()).hexdigest()
    meta = {"sha256": sha, "duration": round(len(audio) / RATE, 3), "words": words}
    (OUT / "talk.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"{wav_path}: {meta['duration']} s, {len(words)} words, sha256 {sha[:12]}")


if __name__ == "__main__":
    main()
