using System.Diagnostics;

namespace ActiveGate.Radio.Tests.Support;

/// <summary>
/// A real pseudo-terminal pair made by socat: <see cref="HostPath"/> is what the link opens (like
/// /dev/ttyUSB0), <see cref="RadioPath"/> is where the scripted radio sits. Killing socat is an unplug;
/// <see cref="StartAsync"/> again at the same paths is a replug.
/// </summary>
internal sealed class SocatPtyPair : IAsyncDisposable
{
    private readonly string _directory;
    private Process? _socat;

    public SocatPtyPair()
    {
        _directory = Path.Combine(Path.GetTempPath(), "ag-radio-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_directory);
        HostPath = Path.Combine(_directory, "host");
        RadioPath = Path.Combine(_directory, "radio");
    }

    public string HostPath { get; }

    public string RadioPath { get; }

    public static async Task<SocatPtyPair> CreateAsync()
    {
        var pair = new SocatPtyPair();
        await pair.StartAsync();
        return pair;
    }

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("socat")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-d");
        start.ArgumentList.Add("-d");
        start.ArgumentList.Add($"pty,raw,echo=0,link={HostPath}");
        start.ArgumentList.Add($"pty,raw,echo=0,link={RadioPath}");
        _socat = Process.Start(start) ?? throw new InvalidOperationException("socat did not start");
        _socat.ErrorDataReceived += (_, _) => { };
        _socat.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (!(File.Exists(HostPath) && File.Exists(RadioPath)))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(5) || _socat.HasExited)
            {
                throw new InvalidOperationException("socat did not create the pty links");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Unplug: socat exits, both ptys close, the links vanish.</summary>
    public async Task KillAsync()
    {
        if (_socat is { HasExited: false })
        {
            _socat.Kill();
            await _socat.WaitForExitAsync();
        }

        _socat?.Dispose();
        _socat = null;
        // socat removes its links on a clean exit only; a kill may leave them dangling.
        File.Delete(HostPath);
        File.Delete(RadioPath);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
