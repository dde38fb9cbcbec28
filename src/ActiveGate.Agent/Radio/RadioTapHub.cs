using ActiveGate.Radio.Capture;

namespace ActiveGate.Agent.Radio;

/// <summary>Fans every radio frame out to the configured capture file and to live capture sessions.</summary>
public sealed class RadioTapHub : IRadioFrameTap, IDisposable
{
    private volatile IRadioFrameTap[] _taps = [];
    private readonly Lock _gate = new();

    public int Count => _taps.Length;

    public void Add(IRadioFrameTap tap)
    {
        lock (_gate)
        {
            _taps = [.. _taps, tap];
        }
    }

    public void Remove(IRadioFrameTap tap)
    {
        lock (_gate)
        {
            _taps = _taps.Where(t => !ReferenceEquals(t, tap)).ToArray();
        }
    }

    public void OnFrame(RadioFrameDirection direction, DateTimeOffset timestamp, ReadOnlySpan<byte> mpduWithoutFcs)
    {
        foreach (IRadioFrameTap tap in _taps)
        {
            tap.OnFrame(direction, timestamp, mpduWithoutFcs);
        }
    }

    public void Dispose()
    {
        IRadioFrameTap[] taps;
        lock (_gate)
        {
            taps = _taps;
            _taps = [];
        }

        foreach (IDisposable disposable in taps.OfType<IDisposable>())
        {
            disposable.Dispose();
        }
    }
}
