"""The local emulator of the speech-to-text API (`stt emulator`): server, results, sample audio, local engine."""
