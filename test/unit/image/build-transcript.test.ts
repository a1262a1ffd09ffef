import { describe, expect, it } from 'vitest';
import { BuildTranscript, parseStepLine } from '../../../cli/image/build-transcript.js';
import { LineSplitter, parseStreamLine } from '../../../cli/image/docker-stream.js';

describe('docker stream parsing', () => {
  it('splits JSON lines across chunk boundaries', () => {
    const s = new LineSplitter();
    expect(s.push('{"stream":"a\\n"}\r\n{"str')).toEqual(['{"stream":"a\\n"}']);
    expect(s.push('eam":"b"}\n')).toEqual(['{"stream":"b"}']);
    expect(s.flush()).toEqual([]);
    expect(parseStreamLine('not json')).toEqual({ stream: 'not json\n' });
  });
});

describe('BuildTranscript', () => {
  it('follows steps and names the failing one with its output', () => {
    const t = new BuildTranscript();
    expect(parseStepLine('Step 2/5 : FROM ${BASE}')).toEqual({ index: 2, total: 5, instruction: 'FROM ${BASE}' });
    t.add({ stream: 'Step 1/5 : ARG BASE=x\n' });
    t.add({ stream: ' ---> Running in abc\n' });
    const step = t.add({ stream: 'Step 4/5 : RUN apt-get install foo\n ---> Running in def\n' });
    expect(step?.index).toBe(4);
    t.add({ stream: '\u001b[91mE: Unable to locate package foo\n\u001b[0m' });
    t.add({
      error: "The command '/bin/sh -c apt-get install foo' returned a non-zero code: 100",
      errorDetail: { code: 100, message: "The command '/bin/sh -c apt-get install foo' returned a non-zero code: 100" },
    });
    expect(t.failureText()).toBe(
      'step 4/5 (RUN apt-get install foo) failed: the command returned a non-zero code: 100\noutput:\n  | E: Unable to locate package foo',
    );
  });

  it('records the image id', () => {
    const t = new BuildTranscript();
    t.add({ aux: { ID: 'sha256:abc' } });
    expect(t.imageId).toBe('sha256:abc');
    expect(t.error).toBeUndefined();
  });
});
