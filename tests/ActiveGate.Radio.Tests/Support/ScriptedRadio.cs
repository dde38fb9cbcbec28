using System.Threading.Channels;

namespace ActiveGate.Radio.Tests.Support;

/// <summary>
/// The radio end of a pty, scripted by the test. It has its own SLIP code (not the library's), so a
/// framing bug in the library cannot hide behind the same bug here.
/// </summary>
internal sealed class ScriptedRadio : IAsyncDisposable
{
    private readonly FileStream _stream;
    private readonly Channel<byte[]> _frames = Channel.CreateUnbounded<byte[]>();
    private readonly Task _reader;

    private ScriptedRadio(string path)
    {
        _stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
        _reader = Task.Run(ReadLoopAsync);
    }

    public static ScriptedRadio Open(string path) => new(path);

    /// <summary>Waits for the next SLIP frame the host wrote (empty frames skipped).</summary>
    public async Task<byte[]> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        return await _frames.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Reads frames until one satisfies <paramref name="match"/>.</summary>
    public async Task<byte[]> ReadFrameAsync(Func<byte[], bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            byte[] frame = await _frames.Reader.ReadAsync(cts.Token);
            if (match(frame))
            {
                return frame;
            }
        }
    }

    public bool TryReadFrame(out byte[] frame) => _frames.Reader.TryRead(out frame!);

    /// <summary>Sends a payload the way Contiki firmware does: END, escaped bytes, END.</summary>
    public async Task SendAsync(params byte[] payload)
    {
        var bytes = new List<byte> { 0xC0 };
        foreach (byte b in payload)
        {
            if (b == 0xC0)
            {
                bytes.Add(0xDB);
                bytes.Add(0xDC);
            }
            else if (b == 0xDB)
            {
                bytes.Add(0xDB);
                bytes.Add(0xDD);
            }
            else
            {
                bytes.Add(b);
            }
        }

        bytes.Add(0xC0);
        await SendRawAsync([.. bytes]);
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    public Task SendMacAsync(ulong eui64)
    {
        byte[] message = new byte[10];
        message[0] = (byte)'!';
        message[1] = (byte)'M';
        for (int i = 0; i < 8; i++)
        {
            message[2 + i] = (byte)(eui64 >> (56 - (8 * i)));
        }

        return SendAsync(message);
    }

    /// <summary>Answers ?M (waiting for it first).</summary>
    public async Task AnswerMacQueryAsync(ulong eui64)
    {
        await ReadFrameAsync(f => f is [(byte)'?', (byte)'M']);
        await SendMacAsync(eui64);
    }

    private async Task ReadLoopAsync()
    {
        byte[] buffer = new byte[512];
        var frame = new List<byte>();
        bool escape = false;
        try
        {
            while (true)
            {
                int n = await _stream.ReadAsync(buffer);
                if (n == 0)
                {
                    break;
                }

                for (int i = 0; i < n; i++)
                {
                    byte b = buffer[i];
                    if (b == 0xC0)
                    {
                        if (frame.Count > 0)
                        {
                            _frames.Writer.TryWrite([.. frame]);
                        }

                        frame.Clear();
                        escape = false;
                    }
                    else if (escape)
                    {
                        frame.Add(b == 0xDC ? (byte)0xC0 : b == 0xDD ? (byte)0xDB : b);
                        escape = false;
                    }
                    else if (b == 0xDB)
                    {
                        escape = true;
                    }
                    else
                    {
                        frame.Add(b);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // pty closed (unplug) or disposed.
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // A read blocked on a pty does not return when the stream is disposed; it ends with EIO
        // when socat goes, and the loop swallows that. So do not wait for it here.
        await _stream.DisposeAsync();
        _ = _reader;
    }
}
