using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using ActiveGate.Devices.Discovery;
using ActiveGate.Devices.Model;
using ActiveGate.Devices.Readings;
using ActiveGate.Devices.Registry;
using ActiveGate.Devices.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Devices;

/// <summary>
/// Keeps every mesh device discovered, observed and switchable: a node that joins is discovered
/// (<c>/.well-known/core</c>, <c>/dev/info</c>), classified, and each channel observed; samples go
/// to the <see cref="ISampleSink"/>; a node that leaves or stops answering is shown offline.
/// </summary>
public sealed partial class DeviceManager : IAsyncDisposable
{
    private readonly IDeviceClient _client;
    private readonly DeviceRegistry _registry;
    private readonly ISampleSink _sink;
    private readonly DeviceManagerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<IPAddress, DeviceSupervisor> _supervisors = new();
    private readonly CancellationTokenSource _stopping = new();
    private long _samples;
    private long _payloadErrors;
    private long _duplicates;
    private long _observeRestarts;

    public DeviceManager(IDeviceClient client, DeviceRegistry registry, ISampleSink sink, DeviceManagerOptions? options = null, TimeProvider? timeProvider = null, ILogger<DeviceManager>? logger = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _options = options ?? new DeviceManagerOptions();
        _options.Validate();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public DeviceRegistry Registry => _registry;

    public DeviceManagerStatistics GetStatistics() => new(
        Interlocked.Read(ref _samples), Interlocked.Read(ref _payloadErrors), Interlocked.Read(ref _duplicates),
        Interlocked.Read(ref _observeRestarts), _supervisors.Count);

    /// <summary>A node joined the mesh (or was heard again): discover and observe it unless that is already under way.</summary>
    public void OnNodeJoined(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _supervisors.GetOrAdd(address, a =>
        {
            var supervisor = new DeviceSupervisor(this, a, CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token));
            supervisor.Start();
            return supervisor;
        });
    }

    /// <summary>A node left the mesh (its route expired): stop observing it and show it offline.</summary>
    public async Task OnNodeLeftAsync(IPAddress address, string reason)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (_supervisors.TryRemove(address, out DeviceSupervisor? supervisor))
        {
            await supervisor.StopAsync().ConfigureAwait(false);
        }

        DeviceRecord? device = _registry.FindByAddress(address);
        if (device is not null)
        {
            MarkOffline(device.Id, reason);
        }
    }

    /// <summary>Switches a relay and confirms by reading it back.</summary>
    public async Task<SwitchResult> SwitchAsync(string deviceId, int channel, bool on, CancellationToken cancellationToken)
    {
        if (!_registry.TryGet(deviceId, out DeviceRecord device))
        {
            return new SwitchResult(false, null, $"no device '{deviceId}'", SwitchFailure.Refused);
        }

        ChannelRecord? record = device.Channels.FirstOrDefault(c => c.Number == channel);
        if (record?.RelayPath is null)
        {
            return new SwitchResult(false, null, $"device '{deviceId}' has no relay channel {channel}", SwitchFailure.Refused);
        }

        try
        {
            DeviceResponse put = await _client.PutAsync(device.Address, record.RelayPath, on ? "1"u8.ToArray() : "0"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            if (!put.IsSuccess)
            {
                return new SwitchResult(false, null, $"device refused the switch with {put}", SwitchFailure.Refused);
            }

            DeviceResponse readBack = await _client.GetAsync(device.Address, record.RelayPath, cancellationToken).ConfigureAwait(false);
            bool? state = readBack.IsSuccess ? MeterPayload.ParseRelay(readBack.Payload.Span) : null;
            _registry.Update(deviceId, d =>
            {
                ChannelRecord? c = d!.Channels.FirstOrDefault(x => x.Number == channel);
                if (c is not null && state is not null)
                {
                    c.RelayOn = state;
                }

                return d;
            });
            LogSwitched(_logger, deviceId, channel, on, state);
            return state == on
                ? new SwitchResult(true, state, null)
                : state is null
                    ? new SwitchResult(false, null, $"read-back failed with {readBack}", SwitchFailure.Unreachable)
                    : new SwitchResult(false, state, "relay did not change", SwitchFailure.Refused);
        }
        catch (Exception ex) when (ex is DeviceTimeoutException or IOException)
        {
            // Not the cached state: the platform must not take a relay we did not read as confirmed.
            return new SwitchResult(false, null, ex.Message, SwitchFailure.Unreachable);
        }
        catch (DevicePayloadException ex)
        {
            return new SwitchResult(false, null, ex.Message, SwitchFailure.Refused);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (DeviceSupervisor supervisor in _supervisors.Values)
        {
            await supervisor.StopAsync().ConfigureAwait(false);
        }

        _supervisors.Clear();
        _stopping.Dispose();
    }

    private void MarkOffline(string deviceId, string reason)
    {
        if (_registry.TryGet(deviceId, out DeviceRecord device) && device.Online)
        {
            _registry.Update(deviceId, d =>
            {
                d!.Online = false;
                d.Problem = reason;
                return d;
            });
            LogOffline(_logger, deviceId, reason);
        }
    }

    private TimeSpan Backoff(int failures)
    {
        double factor = Math.Pow(2, Math.Min(failures - 1, 16));
        return TimeSpan.FromTicks((long)Math.Min(_options.RetryDelay.Ticks * factor, _options.MaxRetryDelay.Ticks));
    }

    internal static string DeviceIdFor(IPAddress address)
    {
        // EUI-64-based interface identifiers carry the device's MAC address with the U/L bit inverted (RFC 4291 appendix A).
        byte[] bytes = address.GetAddressBytes();
        if (bytes.Length != 16)
        {
            return address.ToString();
        }

        Span<byte> eui = bytes.AsSpan(8, 8);
        eui[0] ^= 0x02;
        return Convert.ToHexStringLower(eui);
    }

    /// <summary>Discovers one device and runs one observation loop per channel.</summary>
    private sealed class DeviceSupervisor(DeviceManager owner, IPAddress address, CancellationTokenSource cancellation)
    {
        /// <summary>Samples of one channel that may be on their way into the sink at once (bounds memory if it stalls).</summary>
        private const int MaxAcceptsInFlight = 16;

        private Task _run = Task.CompletedTask;

        public void Start() => _run = Task.Run(() => RunAsync(cancellation.Token));

        public async Task StopAsync()
        {
            await cancellation.CancelAsync().ConfigureAwait(false);
            try
            {
                await _run.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            cancellation.Dispose();
        }

        private async Task RunAsync(CancellationToken cancellationToken)
        {
            string id = DeviceIdFor(address);
            int failures = 0;
            DeviceRecord? device = null;
            while (device is null && !cancellationToken.IsCancellationRequested)
            {
                try
                {
                    device = await DiscoverAsync(id, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is DeviceTimeoutException or DevicePayloadException or IOException or InvalidOperationException)
                {
                    failures++;
                    LogDiscoveryFailed(owner._logger, address, failures, ex.Message);
                    if (failures >= owner._options.FailuresBeforeOffline)
                    {
                        owner.MarkOffline(id, "discovery failed: " + ex.Message);
                    }

                    await Task.Delay(owner.Backoff(failures), owner._timeProvider, cancellationToken).ConfigureAwait(false);
                }
            }

            if (device is null || device.Kind == DeviceKind.Generic)
            {
                return;
            }

            await Task.WhenAll(device.Channels.Select(c => ObserveChannelAsync(device, c, cancellationToken))).ConfigureAwait(false);
        }

        private async Task<DeviceRecord> DiscoverAsync(string id, CancellationToken cancellationToken)
        {
            IReadOnlyList<DiscoveredLink> links = await owner._client.DiscoverAsync(address, cancellationToken).ConfigureAwait(false);
            DeviceInfoPayload? info = null;
            string? infoPath = DeviceClassifier.FindInfoPath(links);
            if (infoPath is not null)
            {
                DeviceResponse response = await owner._client.GetAsync(address, infoPath, cancellationToken).ConfigureAwait(false);
                info = response.IsSuccess ? DeviceInfoPayload.Parse(response.Payload.Span) : null;
            }

            (DeviceKind kind, List<ChannelRecord> channels) = DeviceClassifier.Classify(links, info);
            DateTimeOffset now = owner._timeProvider.GetUtcNow();
            string linkText = string.Join(",", links.Select(l => $"<{l.Href}>" + string.Concat(l.ResourceTypes.Select(rt => $";rt=\"{rt}\"")) + (l.Observable ? ";obs" : "")));
            DeviceRecord device = owner._registry.Update(id, existing =>
            {
                DeviceRecord record = existing ?? new DeviceRecord { Id = id, Address = address, FirstSeen = now };
                record.Address = address;
                record.Kind = kind;
                record.Model = info?.Model;
                record.Firmware = info?.Firmware;
                record.Serial = info?.Serial;
                record.Links = linkText;
                record.LastSeen = now;
                record.Online = true;
                record.Problem = null;

                // Keep the sequence bookkeeping of channels that are still there.
                foreach (ChannelRecord channel in channels)
                {
                    ChannelRecord? previous = existing?.Channels.FirstOrDefault(c => c.Number == channel.Number);
                    if (previous is not null)
                    {
                        channel.SequenceEpoch = previous.SequenceEpoch;
                        channel.LastSequence = previous.LastSequence;
                        channel.RelayOn = previous.RelayOn;
                    }
                }

                record.Channels = channels;
                return record;
            });
            LogDiscovered(owner._logger, id, address, kind, channels.Count);
            return device;
        }

        private async Task ObserveChannelAsync(DeviceRecord device, ChannelRecord channel, CancellationToken cancellationToken)
        {
            int failures = 0;
            DateTimeOffset lastPersist = owner._timeProvider.GetUtcNow();
            // Accepts still being made durable. The sink takes samples in call order, so the next notification need not
            // wait for the previous one's group commit: otherwise one channel could report at most once per commit window.
            var accepting = new Queue<Task>();
            while (!cancellationToken.IsCancellationRequested)
            {
                DateTimeOffset started = owner._timeProvider.GetUtcNow();
                try
                {
                    if (channel.MeterPath is not null)
                    {
                        await foreach (DeviceResponse notification in owner._client.ObserveAsync(device.Address, channel.MeterPath, cancellationToken).ConfigureAwait(false))
                        {
                            if (!notification.IsSuccess)
                            {
                                throw new IOException($"{channel.MeterPath} answered {notification}");
                            }

                            failures = 0;
                            accepting.Enqueue(AcceptAsync(device, channel, notification.Payload, cancellationToken));
                            while (accepting.Count > MaxAcceptsInFlight || (accepting.Count > 0 && accepting.Peek().IsCompleted))
                            {
                                await accepting.Dequeue().ConfigureAwait(false);
                            }

                            lastPersist = PersistSequenceIfDue(device, channel, lastPersist);
                        }

                        while (accepting.Count > 0)
                        {
                            await accepting.Dequeue().ConfigureAwait(false);
                        }
                    }
                    else
                    {
                        await PollOnceAsync(device, channel, cancellationToken).ConfigureAwait(false);
                        failures = 0;
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    await SettleAsync(accepting).ConfigureAwait(false);
                    PersistSequenceIfDue(device, channel, DateTimeOffset.MinValue);
                    return;
                }
                catch (Exception ex) when (ex is DeviceTimeoutException or IOException or InvalidOperationException or DevicePayloadException)
                {
                    await SettleAsync(accepting).ConfigureAwait(false);
                    failures++;
                    LogObservationFailed(owner._logger, device.Id, channel.Number, failures, ex.Message);
                    if (failures >= owner._options.FailuresBeforeOffline)
                    {
                        owner.MarkOffline(device.Id, ex.Message);
                    }

                    await Task.Delay(owner.Backoff(failures), owner._timeProvider, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                // The observation ended (the device cancelled it or does not support Observe): register
                // again, but never faster than the poll interval.
                Interlocked.Increment(ref owner._observeRestarts);
                TimeSpan elapsed = owner._timeProvider.GetUtcNow() - started;
                if (elapsed < owner._options.PollInterval)
                {
                    await Task.Delay(owner._options.PollInterval - elapsed, owner._timeProvider, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        /// <summary>Waits for accepts left in flight when an observation ends abnormally; their errors were the sink's to log.</summary>
        private static async Task SettleAsync(Queue<Task> accepting)
        {
            while (accepting.Count > 0)
            {
                try
                {
                    await accepting.Dequeue().ConfigureAwait(false);
                }
#pragma warning disable CA1031 // The observation already failed or stopped; a failed accept of it changes nothing here.
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        }

        private async Task PollOnceAsync(DeviceRecord device, ChannelRecord channel, CancellationToken cancellationToken)
        {
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach ((string quantity, string path) in channel.QuantityPaths)
            {
                DeviceResponse response = await owner._client.GetAsync(device.Address, path, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccess)
                {
                    throw new IOException($"{path} answered {response}");
                }

                values[quantity] = MeterPayload.ParseQuantity(response.Payload.Span, quantity);
            }

            bool? relay = null;
            if (channel.RelayPath is not null)
            {
                DeviceResponse response = await owner._client.GetAsync(device.Address, channel.RelayPath, cancellationToken).ConfigureAwait(false);
                relay = response.IsSuccess ? MeterPayload.ParseRelay(response.Payload.Span) : null;
            }

            // Polled samples have no device sequence: the reception time (ms) is unique and grows.
            DateTimeOffset now = owner._timeProvider.GetUtcNow();
            var sample = new ChannelSample(device.Id, channel.Number, channel.SequenceEpoch, now.ToUnixTimeMilliseconds(), now,
                values.TryGetValue("power", out double p) ? p : null,
                values.TryGetValue("energy", out double e) ? e : null,
                values.TryGetValue("current", out double i) ? i : null,
                values.TryGetValue("voltage", out double v) ? v : null,
                relay);
            await DeliverAsync(device, channel, sample, cancellationToken).ConfigureAwait(false);
        }

        private async Task AcceptAsync(DeviceRecord device, ChannelRecord channel, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            ChannelSample parsed;
            try
            {
                parsed = MeterPayload.ParseMeter(payload.Span, device.Id, channel.Number, owner._timeProvider.GetUtcNow());
            }
            catch (DevicePayloadException ex)
            {
                // A bad notification is dropped and counted; the observation goes on.
                Interlocked.Increment(ref owner._payloadErrors);
                LogBadPayload(owner._logger, device.Id, channel.Number, ex.Message, Encoding.UTF8.GetString(payload.Span[..Math.Min(payload.Length, 64)]));
                return;
            }

            if (parsed.Sequence == channel.LastSequence)
            {
                // The same measurement again (a re-registration answers with the current state).
                Interlocked.Increment(ref owner._duplicates);
                return;
            }

            if (parsed.Sequence < channel.LastSequence)
            {
                channel.SequenceEpoch++;
                LogSequenceRestarted(owner._logger, device.Id, channel.Number, channel.LastSequence, parsed.Sequence, channel.SequenceEpoch);
                owner._registry.Update(device.Id, d => d!);
            }

            channel.LastSequence = parsed.Sequence;
            await DeliverAsync(device, channel, parsed with { Epoch = channel.SequenceEpoch }, cancellationToken).ConfigureAwait(false);
        }

        private async Task DeliverAsync(DeviceRecord device, ChannelRecord channel, ChannelSample sample, CancellationToken cancellationToken)
        {
            // The device's state as received, before the (group-committed, up to a window late) durable accept: a switch
            // read back meanwhile must not be overwritten by this older report once the accept completes, and accepts
            // of one channel may overlap (see ObserveChannelAsync).
            channel.LastSample = sample;
            if (sample.RelayOn is bool relay)
            {
                channel.RelayOn = relay;
            }

            if (!device.Online)
            {
                owner._registry.Update(device.Id, d =>
                {
                    d!.Online = true;
                    d.Problem = null;
                    return d;
                });
            }

            device.LastSeen = owner._timeProvider.GetUtcNow(); // heard now: the sample's time may be the device's own clock
            // The reading is made here, with what the device is, so nothing downstream looks the device up again.
            await owner._sink.AcceptAsync(new Reading(device.Kind, device.Channels.Count, sample), cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref owner._samples);
        }

        private DateTimeOffset PersistSequenceIfDue(DeviceRecord device, ChannelRecord channel, DateTimeOffset lastPersist)
        {
            DateTimeOffset now = owner._timeProvider.GetUtcNow();
            if (now - lastPersist < owner._options.SequencePersistInterval)
            {
                return lastPersist;
            }

            owner._registry.Update(device.Id, d => d!);
            return now;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {DeviceId} at {Address} is {Kind} with {ChannelCount} channels")]
    private static partial void LogDiscovered(ILogger logger, string deviceId, IPAddress address, DeviceKind kind, int channelCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Discovery of {Address} failed (attempt {Attempt}): {Reason}")]
    private static partial void LogDiscoveryFailed(ILogger logger, IPAddress address, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Observation of {DeviceId} channel {Channel} failed (attempt {Attempt}): {Reason}")]
    private static partial void LogObservationFailed(ILogger logger, string deviceId, int channel, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {DeviceId} channel {Channel} sent a bad sample ({Reason}): {Payload}")]
    private static partial void LogBadPayload(ILogger logger, string deviceId, int channel, string reason, string payload);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {DeviceId} channel {Channel} restarted its counter ({Previous} -> {Current}); epoch {Epoch}")]
    private static partial void LogSequenceRestarted(ILogger logger, string deviceId, int channel, long previous, long current, int epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {DeviceId} is offline: {Reason}")]
    private static partial void LogOffline(ILogger logger, string deviceId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {DeviceId} channel {Channel} switched {On}; read back {State}")]
    private static partial void LogSwitched(ILogger logger, string deviceId, int channel, bool on, bool? state);
}

/// <summary>Counters for <c>activegate devices</c>.</summary>
public sealed record DeviceManagerStatistics(long Samples, long PayloadErrors, long Duplicates, long ObserveRestarts, int SupervisedDevices);
