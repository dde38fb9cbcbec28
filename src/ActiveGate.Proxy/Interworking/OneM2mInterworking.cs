using System.Collections.Concurrent;
using System.Text.Json;
using ActiveGate.Devices;
using ActiveGate.Devices.Model;
using ActiveGate.OneM2m;
using ActiveGate.OneM2m.Notifications;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Resources;
using ActiveGate.OneM2m.Upstream;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Proxy.Interworking;

/// <summary>
/// Maps mesh devices onto oneM2M resources (one AE per gateway, a subtree per device and channel) and
/// platform commands back onto relays. Knows nothing of CoAP: readings come in as <see cref="DeviceReading"/>,
/// switching goes out through <see cref="ISwitchActuator"/>.
/// <para>
/// Every create is idempotent (Conflict/4105 = exists = fine) and the tree is re-ensured whenever the endpoint
/// provider's generation changes (LwM2M re-target) or the CSE answers 4004 for a parent, so a new or wiped
/// CSE gets the AE, containers and subscriptions again without a restart.
/// </para>
/// </summary>
public sealed class OneM2mInterworking : IDisposable
{
    private readonly OneM2mClient _client;
    private readonly InterworkingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, DeviceState> _devices = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string DeviceId, int Channel)> _subscriptions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string DeviceId, int Channel), bool> _reportedSwitch = new();
    private readonly SemaphoreSlim _registerLock = new(1, 1);
    private long _registeredGeneration;
    private bool _everRegistered;

    // Paths below the CSEBase that the platform already had when this interworking prepared (discovery): their creates
    // are skipped once, so moving back to a platform used before costs one round trip, not one per resource.
    private volatile HashSet<string>? _known;

    // Subscription IDs to read back once preparation is over (off the swap's critical path and out of its cost).
    private readonly ConcurrentQueue<(string Path, string DeviceId, int Channel)> _deferredLearning = new();
    private long _commandsExecuted;
    private int _relearning;

    // Commands already taken on, by (device, channel, cin name): a notification handed out twice (a re-sent long poll,
    // the catch-up after a rebuilt subscription meeting the notification of the same cin) must not switch twice.
    private readonly ConcurrentDictionary<string, byte> _seenCommands = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _seenOrder = new();
    private const int SeenCommandsKept = 1024;

    // Set while the polling loop backs off: a sign of life from the platform ends the wait at once.
    private TaskCompletionSource? _pollWake;
    private static readonly TimeSpan s_firstPollBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maxPollBackoff = TimeSpan.FromSeconds(60);

    // The platform lost (part of) our tree since we built it: commands written while our subscription was missing are
    // looked for when it is re-created.
    private int _treeLost;

    public OneM2mInterworking(OneM2mClient client, InterworkingOptions options, ISwitchActuator? actuator = null,
        TimeProvider? timeProvider = null, ILogger<OneM2mInterworking>? logger = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        Actuator = actuator;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Can be set after construction (the device layer is usually built later).</summary>
    public ISwitchActuator? Actuator { get; set; }

    public InterworkingOptions Options => _options;

    /// <summary>Commands executed (switched and reported back), for tests and diagnostics.</summary>
    public long CommandsExecuted => Interlocked.Read(ref _commandsExecuted);

    /// <summary>Raised after a command was executed and its outcome written back (or the write-back failed).</summary>
    public event EventHandler<(SwitchCommand Command, SwitchResult Result)>? CommandExecuted;

    private sealed class DeviceState(DeviceDescriptor descriptor)
    {
        public DeviceDescriptor Descriptor { get; set; } = descriptor;
        public string Name => ResourceNames.Device(Descriptor.Kind, Descriptor.Id);
        public long EnsuredGeneration { get; set; }
        public SemaphoreSlim Lock { get; } = new(1, 1);
    }

    private string DevicePath(DeviceState d) => _options.AeName + "/" + d.Name;

    private string ChannelPath(DeviceState d, int channel) => _options.Mode == MappingMode.Containers
        ? DevicePath(d) + "/" + ResourceNames.Channel(channel)
        : DevicePath(d) + "/" + ResourceNames.Outlet(channel);

    private long CurrentGeneration => _client.Endpoints.Current.Generation;

    /// <summary>Registers the gateway AE (or adopts the existing one, updating its poa/rr), idempotently, once per endpoint generation.</summary>
    public Task<bool> EnsureRegisteredAsync(CancellationToken cancellationToken = default) => EnsureRegisteredAsync(null, cancellationToken);

    /// <param name="probe">
    /// A read of the AE and a discovery below it, sent together with the CREATE: when the AE exists they tell whether
    /// its reachability and polling channel are already right, so adopting it costs no further round trip.
    /// </param>
    private async Task<bool> EnsureRegisteredAsync(Task<ResponsePrimitive[]>? probe, CancellationToken cancellationToken)
    {
        long generation = CurrentGeneration;
        if (generation == 0)
        {
            return false;
        }

        if (Interlocked.Read(ref _registeredGeneration) == generation)
        {
            return true;
        }

        await _registerLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Interlocked.Read(ref _registeredGeneration) == CurrentGeneration)
            {
                return true;
            }

            var ae = new ApplicationEntity
            {
                ResourceName = _options.AeName,
                AppId = _options.AppId,
                RequestReachability = _options.Reachable,
                PointOfAccess = _options.Reachable ? [.. _options.PointOfAccess] : null,
                SupportedReleaseVersions = [.. _options.SupportedReleases],
                Labels = ["type/gateway", "app/activegate"],
                ExpirationTime = ExpirationTime(),
            };
            ResponsePrimitive r = await _client.CreateAeAsync(ae, cancellationToken).ConfigureAwait(false);
            bool needPollingChannel = !_options.Reachable;
            if (r.Outcome is ResponseOutcome.AlreadyExists or ResponseOutcome.AlreadyRegistered)
            {
                // Registered before (restart, or a CSE that kept us): adopt it and make the poa current.
                bool needUpdate = true;
                if (probe is not null)
                {
                    ResponsePrimitive[] probed = await probe.ConfigureAwait(false);
                    ApplicationEntity? existing = probed[0].ReadResource(ApplicationEntity.RootKey, OneM2mJsonContext.Default.ApplicationEntity);
                    needUpdate = existing is null || existing.RequestReachability != _options.Reachable
                        || !(existing.PointOfAccess ?? []).SequenceEqual(_options.PointOfAccess);
                    if (!needUpdate)
                    {
                        r = probed[0]; // our AE, as we want it: adopted without a further request
                    }
                    _known = probed[1].IsSuccess ? ParseDiscovery(probed[1]) : null;
                    needPollingChannel &= _known?.Contains(_options.AeName + "/" + ResourceNames.PollingChannel) != true;
                }

                Task<bool> pollingChannel = needPollingChannel ? EnsurePollingChannelAsync(cancellationToken) : Task.FromResult(true);
                if (needUpdate)
                {
                    r = await _client.UpdateRawAsync(_options.AeName, ReachabilityUpdate(), cancellationToken).ConfigureAwait(false);
                }

                needPollingChannel = false;
                if (!await pollingChannel.ConfigureAwait(false))
                {
                    return false;
                }
            }

            if (!r.IsSuccess)
            {
                _logger.LogWarning("oneM2M: AE registration at generation {Generation} failed: {Response}", r.EndpointGeneration, r);
                LastProblem = "AE registration failed: " + r;
                return false;
            }

            if (needPollingChannel && !await EnsurePollingChannelAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            if (r.StatusCode == ResponseStatusCode.Created && !_devices.IsEmpty)
            {
                // A new AE: the platform has none of our tree (wiped, or the AE expired), whatever we built before.
                foreach (DeviceState device in _devices.Values)
                {
                    device.EnsuredGeneration = 0;
                }

                if (_everRegistered)
                {
                    Interlocked.Exchange(ref _treeLost, 1);
                }
            }

            _everRegistered = true;
            Interlocked.Exchange(ref _registeredGeneration, r.EndpointGeneration);
            WakePolling();
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation("oneM2M: AE {Ae} registered at generation {Generation}", _options.AeName, r.EndpointGeneration);
            }
            return r.EndpointGeneration == CurrentGeneration;
        }
        finally
        {
            _registerLock.Release();
        }
    }

    private async Task<bool> EnsurePollingChannelAsync(CancellationToken cancellationToken)
    {
        ResponsePrimitive pch = await _client.CreateAsync(_options.AeName, ResourceType.PollingChannel, PollingChannel.RootKey,
            new PollingChannel { ResourceName = ResourceNames.PollingChannel }, OneM2mJsonContext.Default.PollingChannel,
            ResultContent.Nothing, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (pch.Outcome == ResponseOutcome.BadRequest)
        {
            // ACME answers a second pollingChannel with 400/4000 "only one PCH per AE is allowed", not 4105.
            pch = await _client.RetrieveAsync(_options.AeName + "/" + ResourceNames.PollingChannel, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        if (!pch.IsSuccess && pch.Outcome != ResponseOutcome.AlreadyExists)
        {
            _logger.LogWarning("oneM2M: pollingChannel creation failed: {Response}", pch);
            LastProblem = "pollingChannel creation failed: " + pch;
            return false;
        }

        return true;
    }

    /// <summary>
    /// <c>{"m2m:ae":{"rr":true,"poa":[…]}}</c>, or <c>{"m2m:ae":{"rr":false,"poa":null}}</c>: null deletes the attribute;
    /// an empty list is refused by ACME ("Optional list attribute must be non-empty: poa", 4000).
    /// </summary>
    private byte[] ReachabilityUpdate()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject(ApplicationEntity.RootKey);
            w.WriteBoolean("rr", _options.Reachable);
            if (_options.Reachable)
            {
                w.WriteStartArray("poa");
                foreach (string poa in _options.PointOfAccess)
                {
                    w.WriteStringValue(poa);
                }

                w.WriteEndArray();
            }
            else
            {
                w.WriteNull("poa");
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Remembers a device without talking to the CSE (e.g. from the persisted registry at start-up).</summary>
    public void RegisterDevice(DeviceDescriptor device)
    {
        ArgumentNullException.ThrowIfNull(device);
        DeviceState state = _devices.GetOrAdd(device.Id, _ => new DeviceState(device));
        if (state.Descriptor != device)
        {
            state.Descriptor = device;
            state.EnsuredGeneration = 0;
        }
    }

    /// <summary>Adds the device only if it is not known yet (e.g. a reading replayed from the outbox carries its descriptor).</summary>
    public void RegisterDeviceIfUnknown(DeviceDescriptor device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _devices.GetOrAdd(device.Id, _ => new DeviceState(device));
    }

    /// <summary>Creates (idempotently) the device's subtree and command subscriptions at the current upstream.</summary>
    public async Task<bool> EnsureDeviceAsync(DeviceDescriptor device, CancellationToken cancellationToken = default)
    {
        RegisterDevice(device);
        return await EnsureDeviceAsync(_devices[device.Id], cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> EnsureDeviceAsync(DeviceState device, CancellationToken cancellationToken)
    {
        long generation = CurrentGeneration;
        if (device.EnsuredGeneration == generation && Interlocked.Read(ref _registeredGeneration) == generation)
        {
            return true;
        }

        await device.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (device.EnsuredGeneration == CurrentGeneration && Interlocked.Read(ref _registeredGeneration) == CurrentGeneration)
            {
                return true;
            }

            if (!await EnsureRegisteredAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            long treeGeneration = Interlocked.Read(ref _registeredGeneration);
            bool ok = _options.Mode == MappingMode.Containers
                ? await EnsureContainerTreeAsync(device, cancellationToken).ConfigureAwait(false)
                : await EnsureSmartDeviceTreeAsync(device, cancellationToken).ConfigureAwait(false);
            if (ok)
            {
                device.EnsuredGeneration = treeGeneration;
            }

            return ok && treeGeneration == CurrentGeneration;
        }
        finally
        {
            device.Lock.Release();
        }
    }

    private static bool Exists(ResponsePrimitive r) => r.IsSuccess || r.Outcome == ResponseOutcome.AlreadyExists;

    private string? ExpirationTime()
        => _options.ResourceLifetime is { } lifetime ? OneM2mTimestamp.Format(_time.GetUtcNow() + lifetime) : null;

    private async Task<bool> CreateContainerAsync(string parent, Container container, CancellationToken ct)
    {
        if (_known is { } known && known.Contains(parent + "/" + container.ResourceName))
        {
            return true;
        }

        container.ExpirationTime ??= ExpirationTime();
        ResponsePrimitive r = await _client.CreateContainerAsync(parent, container, ct).ConfigureAwait(false);
        if (!Exists(r))
        {
            _logger.LogWarning("oneM2M: creating container {Parent}/{Name} failed: {Response}", parent, container.ResourceName, r);
        }

        return Exists(r);
    }

    private async Task<bool> EnsureContainerTreeAsync(DeviceState device, CancellationToken ct)
    {
        // One level at a time, each level's creates concurrently: a DIN meter's 16 resources cost 4 round trips,
        // not 16, which is what a far platform charges for.
        DeviceDescriptor d = device.Descriptor;
        string kindLabel = d.Kind switch { DeviceKind.ActivePlug => "type/smartplug", DeviceKind.ActiveDin => "type/dinmeter", _ => "type/generic" };
        List<string> labels = [kindLabel, "id/" + d.Id.Replace('/', '-'), "channels/" + d.Channels];
        labels.AddRange(d.Labels ?? []);
        if (!await CreateContainerAsync(_options.AeName, new Container { ResourceName = device.Name, Labels = labels }, ct).ConfigureAwait(false))
        {
            return false;
        }

        int[] channels = [.. Enumerable.Range(1, d.Channels)];
        if (!await AllAsync(channels.Select(ch => CreateContainerAsync(DevicePath(device), new Container { ResourceName = ResourceNames.Channel(ch) }, ct))).ConfigureAwait(false))
        {
            return false;
        }

        if (!await AllAsync(channels.SelectMany(ch =>
            {
                string channel = ChannelPath(device, ch);
                return new[]
                {
                    CreateContainerAsync(channel, new Container { ResourceName = ResourceNames.Readings, MaxNrOfInstances = _options.ReadingsMaxInstances }, ct),
                    CreateContainerAsync(channel, new Container { ResourceName = ResourceNames.Commands, MaxNrOfInstances = _options.CommandMaxInstances }, ct),
                    CreateContainerAsync(channel, new Container { ResourceName = ResourceNames.State, MaxNrOfInstances = _options.CommandMaxInstances }, ct),
                };
            })).ConfigureAwait(false))
        {
            return false;
        }

        return await AllAsync(channels.Select(ch => EnsureSubscriptionAsync(ChannelPath(device, ch) + "/" + ResourceNames.Commands, ResourceNames.CommandSubscription, 3, d.Id, ch, ct))).ConfigureAwait(false);
    }

    private static async Task<bool> AllAsync(IEnumerable<Task<bool>> creates)
    {
        bool[] results = await Task.WhenAll(creates).ConfigureAwait(false);
        return Array.TrueForAll(results, ok => ok);
    }

    private async Task<bool> CreateFlexAsync(string parent, byte[] body, CancellationToken ct)
    {
        ResponsePrimitive r = await _client.CreateRawAsync(parent, ResourceType.FlexContainer, body, ResultContent.Nothing, cancellationToken: ct).ConfigureAwait(false);
        if (!Exists(r))
        {
            _logger.LogWarning("oneM2M: creating flexContainer under {Parent} failed: {Response}", parent, r);
        }

        return Exists(r);
    }

    private async Task<bool> EnsureSmartDeviceTreeAsync(DeviceState device, CancellationToken ct)
    {
        SdtProfile sdt = _options.Sdt;
        if (!await CreateFlexAsync(_options.AeName, ReadingJson.FlexContainer(sdt.DeviceSmartPlugKey, device.Name, sdt.DeviceSmartPlugCnd), ct).ConfigureAwait(false))
        {
            return false;
        }

        for (int ch = 1; ch <= device.Descriptor.Channels; ch++)
        {
            string outlet = ChannelPath(device, ch);
            if (!await CreateFlexAsync(DevicePath(device), ReadingJson.FlexContainer(sdt.PowerOutletKey, ResourceNames.Outlet(ch), sdt.PowerOutletCnd), ct).ConfigureAwait(false)
                || !await CreateFlexAsync(outlet, ReadingJson.FlexContainer(sdt.BinarySwitchKey, ResourceNames.BinarySwitch, sdt.BinarySwitchCnd, (sdt.SwitchStateDataPoint, false)), ct).ConfigureAwait(false)
                || !await CreateFlexAsync(outlet, ReadingJson.FlexContainer(sdt.EnergyConsumptionKey, ResourceNames.EnergyConsumption, sdt.EnergyConsumptionCnd, ("abECn", 0.0)), ct).ConfigureAwait(false)
                || !await EnsureSubscriptionAsync(outlet + "/" + ResourceNames.BinarySwitch, ResourceNames.SwitchSubscription, 1, device.Descriptor.Id, ch, ct).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Creates the subscription (nu = own AE-ID: no verification request, follows poa changes) and learns its ri for <c>sur</c> lookups.</summary>
    private async Task<bool> EnsureSubscriptionAsync(string parentPath, string name, int eventType, string deviceId, int channel, CancellationToken ct)
    {
        if (_known is { } known && known.Contains(parentPath + "/" + name))
        {
            // The platform has it: match notifications by its structured name now, learn its resource ID off the
            // critical path (a notification naming the ID before that is re-learnt, see HandleNotificationAsync).
            _subscriptions[(_client.Endpoints.Current.Endpoint?.CseBaseName ?? "") + "/" + parentPath + "/" + name] = (deviceId, channel);
            _deferredLearning.Enqueue((parentPath + "/" + name, deviceId, channel));
            if (_known is null)
            {
                StartDeferredWork(); // not preparing (a relearn): read it back now
            }

            return true;
        }

        string origin = _client.Endpoints.Current.Endpoint?.Origin ?? "";
        var sub = new Subscription
        {
            ResourceName = name,
            NotificationUris = [origin],
            NotificationContentType = 1,
            EventNotificationCriteria = new EventNotificationCriteria { NotificationEventTypes = [eventType] },
            ExpirationTime = ExpirationTime(),
        };
        ResponsePrimitive r = await _client.CreateAsync(parentPath, ResourceType.Subscription, Subscription.RootKey, sub,
            OneM2mJsonContext.Default.Subscription, cancellationToken: ct).ConfigureAwait(false);
        if (r.Outcome == ResponseOutcome.AlreadyExists)
        {
            r = await _client.RetrieveAsync(parentPath + "/" + name, cancellationToken: ct).ConfigureAwait(false);
        }

        if (!r.IsSuccess)
        {
            _logger.LogWarning("oneM2M: subscription {Parent}/{Name} failed: {Response}", parentPath, name, r);
            return false;
        }

        if (r.StatusCode == ResponseStatusCode.Created && eventType == 3 && Volatile.Read(ref _treeLost) == 1)
        {
            // Re-created after the platform lost it: a command written between the container and this subscription
            // notified nobody. The newest one is looked at (a relay only cares for the last); its name keeps it single.
            _ = Task.Run(() => CatchUpCommandAsync(parentPath, deviceId, channel), CancellationToken.None);
        }

        Subscription? created = r.ReadResource(Subscription.RootKey, OneM2mJsonContext.Default.Subscription);
        string structured = (_client.Endpoints.Current.Endpoint?.CseBaseName ?? "") + "/" + parentPath + "/" + name;
        _subscriptions[structured] = (deviceId, channel);
        if (created?.ResourceId is { } ri)
        {
            _subscriptions[ri] = (deviceId, channel);
        }

        return true;
    }

    private async Task LearnSubscriptionIdAsync(string path, string deviceId, int channel)
    {
        try
        {
            ResponsePrimitive r = await _client.RetrieveAsync(path).ConfigureAwait(false);
            if (r.ReadResource(Subscription.RootKey, OneM2mJsonContext.Default.Subscription)?.ResourceId is { } ri)
            {
                _subscriptions[ri] = (deviceId, channel);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.LogDebug(ex, "oneM2M: reading back subscription {Path} failed", path);
            }
        }
    }

    /// <summary>The devices this interworking knows (to hand to the next upstream generation).</summary>
    public IReadOnlyList<DeviceDescriptor> KnownDevices => [.. _devices.Values.Select(d => d.Descriptor)];

    /// <summary>
    /// Makes the platform ready for readings and commands before any is sent (make before break): registers the AE
    /// and, in the same round trip, discovers what the platform already has below it (a platform used before keeps our
    /// tree), then creates the missing part of every device's tree, up to 128 devices concurrently. Returns false (with the reason logged and in
    /// <see cref="LastProblem"/>) if the platform is unreachable or refuses.
    /// </summary>
    public async Task<bool> PrepareAsync(IEnumerable<DeviceDescriptor> devices, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(devices);
        foreach (DeviceDescriptor device in devices)
        {
            RegisterDevice(device);
        }

        LastProblem = null; // this attempt's own reason, not an earlier one's
        // One round trip: the CREATE of the AE, a read of it and a discovery of what is below it (see EnsureRegisteredAsync).
        Task<ResponsePrimitive[]> probe = Task.WhenAll(
            _client.RetrieveAsync(_options.AeName, cancellationToken: cancellationToken),
            _client.RetrieveAsync(_options.AeName, query: [new("fu", "1"), new("ty", "3+15+23")], cancellationToken: cancellationToken));
        _known = null;
        if (!await EnsureRegisteredAsync(probe, cancellationToken).ConfigureAwait(false))
        {
            LastProblem ??= "AE registration failed";
            return false;
        }

        // Devices in parallel: on a far platform the round trips, not the requests, are what a new tree costs, so a fleet
        // is built a level at a time for all its devices together (bounded: requests per level stay ≤ 128 × a DIN's 9).
        using var throttle = new SemaphoreSlim(128);
        bool[] ok = await Task.WhenAll(_devices.Values.Select(async device =>
        {
            await throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await EnsureDeviceAsync(device, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                throttle.Release();
            }
        })).ConfigureAwait(false);
        _known = null; // from now on the platform's answers (4004, 4105) are the truth
        if (!Array.TrueForAll(ok, x => x))
        {
            LastProblem = $"{ok.Count(x => !x)} of {ok.Length} device trees could not be created";
            return false;
        }

        LastProblem = null;
        return true;
    }

    /// <summary>
    /// Starts what preparation put off (reading back the IDs of subscriptions the platform already had). The caller
    /// does it once it has taken the cost of the preparation, so the swap is recorded as what it waited for.
    /// </summary>
    public void StartDeferredWork()
    {
        while (_deferredLearning.TryDequeue(out (string Path, string DeviceId, int Channel) learn))
        {
            _ = LearnSubscriptionIdAsync(learn.Path, learn.DeviceId, learn.Channel);
        }
    }

    /// <summary>Why the last <see cref="PrepareAsync"/> failed (null after a success).</summary>
    public string? LastProblem { get; private set; }

    /// <summary>Paths below the CSEBase from a discovery answer (<c>m2m:uril</c>, structured, possibly SP-relative).</summary>
    private HashSet<string> ParseDiscovery(ResponsePrimitive response)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        string prefix = (_client.Endpoints.Current.Endpoint?.CseBaseName ?? "") + "/";
        try
        {
            using JsonDocument doc = JsonDocument.Parse(response.Content);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("m2m:uril", out JsonElement uril)
                && uril.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement uri in uril.EnumerateArray())
                {
                    if (uri.ValueKind != JsonValueKind.String)
                    {
                        continue;
                    }

                    string path = uri.GetString()!;
                    int at = path.IndexOf(prefix, StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        known.Add(path[(at + prefix.Length)..]);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // An unreadable discovery only costs round trips: everything is created (and 4105 says it existed).
        }

        return known;
    }

    /// <summary>Delivers one reading; see <see cref="DeliverBatchAsync"/>.</summary>
    public async Task<ReadingDelivery> DeliverAsync(DeviceReading reading, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reading);
        DeviceState device = _devices.GetOrAdd(reading.DeviceId, id =>
        {
            // Unknown device (e.g. replayed from the outbox before the registry loaded): keep its data under a generic node.
            _logger.LogWarning("oneM2M: reading for unregistered device {Device}; mapping it as generic", id);
            return new DeviceState(new DeviceDescriptor(id, DeviceKind.Generic, Math.Max(1, reading.Channel)));
        });
        if (reading.Channel < 1 || reading.Channel > device.Descriptor.Channels)
        {
            _logger.LogWarning("oneM2M: reading for channel {Channel} of {Device}, which has {Channels}: rejected", reading.Channel, reading.DeviceId, device.Descriptor.Channels);
            return ReadingDelivery.Rejected;
        }

        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (!await EnsureDeviceAsync(device, cancellationToken).ConfigureAwait(false))
            {
                return ReadingDelivery.RetryLater;
            }

            ResponsePrimitive r = _options.Mode == MappingMode.Containers
                ? await _client.CreateRawAsync(ChannelPath(device, reading.Channel) + "/" + ResourceNames.Readings, ResourceType.ContentInstance,
                    ReadingJson.ContentInstance(ResourceNames.Reading(device.Name, reading.Channel, reading.Sequence), reading),
                    ResultContent.Nothing, cancellationToken: cancellationToken).ConfigureAwait(false)
                : await SendSmartDeviceReadingAsync(device, reading, cancellationToken).ConfigureAwait(false);
            switch (r.Outcome)
            {
                case ResponseOutcome.Success:
                case ResponseOutcome.AlreadyExists: // the same name was stored by an earlier attempt
                    WakePolling();
                    return ReadingDelivery.Delivered;
                case ResponseOutcome.NotFound:
                    // The tree is gone (CSE wiped, resource expired, or a re-target raced us): rebuild once.
                    Interlocked.Exchange(ref _treeLost, 1);
                    device.EnsuredGeneration = 0;
                    Interlocked.Exchange(ref _registeredGeneration, 0);
                    continue;
                case ResponseOutcome.OriginatorRejected or ResponseOutcome.AlreadyRegistered:
                    Interlocked.Exchange(ref _registeredGeneration, 0);
                    return ReadingDelivery.RetryLater;
                case ResponseOutcome.BadRequest:
                    _logger.LogWarning("oneM2M: reading {Device}/{Channel}#{Sequence} refused: {Response}", reading.DeviceId, reading.Channel, reading.Sequence, r);
                    return ReadingDelivery.Rejected;
                default:
                    return ReadingDelivery.RetryLater;
            }
        }

        return ReadingDelivery.RetryLater;
    }

    private async Task<ResponsePrimitive> SendSmartDeviceReadingAsync(DeviceState device, DeviceReading reading, CancellationToken ct)
    {
        string outlet = ChannelPath(device, reading.Channel);
        ResponsePrimitive r = await _client.UpdateRawAsync(outlet + "/" + ResourceNames.EnergyConsumption,
            ReadingJson.EnergyConsumptionUpdate(_options.Sdt, reading), ct).ConfigureAwait(false);
        if (r.IsSuccess && reading.RelayOn is { } relay
            && (!_reportedSwitch.TryGetValue((reading.DeviceId, reading.Channel), out bool last) || last != relay))
        {
            ResponsePrimitive s = await ReportSwitchStateAsync(device, reading.Channel, relay, "reading", ct).ConfigureAwait(false);
            return s.IsSuccess ? r : s;
        }

        return r;
    }

    /// <summary>Delivers readings; see the overload with <c>stopStarting</c>.</summary>
    public Task<ReadingDelivery?[]> DeliverBatchAsync(IReadOnlyList<DeviceReading> readings, CancellationToken cancellationToken = default)
        => DeliverBatchAsync(readings, null, cancellationToken);

    /// <summary>
    /// Delivers readings in order per (device, channel), different channels in parallel (bounded by
    /// <see cref="InterworkingOptions.MaxParallelChannels"/>). A channel stops at its first retryable failure; its
    /// later readings stay null (not attempted). Returns the outcome per input index.
    /// </summary>
    /// <param name="stopStarting">
    /// Checked before each reading: once true, no further reading is started (those stay null, not attempted) while the
    /// ones in flight finish. A swap uses it so what the old platform has not started goes to the new one.
    /// </param>
    public async Task<ReadingDelivery?[]> DeliverBatchAsync(IReadOnlyList<DeviceReading> readings, Func<bool>? stopStarting, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(readings);
        var outcomes = new ReadingDelivery?[readings.Count];
        var groups = new Dictionary<(string, int), List<int>>();
        for (int i = 0; i < readings.Count; i++)
        {
            (string, int) key = (readings[i].DeviceId, readings[i].Channel);
            if (!groups.TryGetValue(key, out List<int>? list))
            {
                groups[key] = list = [];
            }

            list.Add(i);
        }

        if (groups.Count == 1)
        {
            // The common low-rate case: one reading (or one channel); no parallel machinery.
            foreach (int i in groups.Values.First())
            {
                if (stopStarting?.Invoke() == true)
                {
                    break;
                }

                ReadingDelivery outcome = await DeliverAsync(readings[i], cancellationToken).ConfigureAwait(false);
                outcomes[i] = outcome;
                if (outcome == ReadingDelivery.RetryLater)
                {
                    break;
                }
            }

            return outcomes;
        }

        await Parallel.ForEachAsync(groups.Values,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxParallelChannels), CancellationToken = cancellationToken },
            async (indices, ct) =>
            {
                foreach (int i in indices)
                {
                    if (stopStarting?.Invoke() == true)
                    {
                        return;
                    }

                    ReadingDelivery outcome = await DeliverAsync(readings[i], ct).ConfigureAwait(false);
                    outcomes[i] = outcome;
                    if (outcome == ReadingDelivery.RetryLater)
                    {
                        return;
                    }
                }
            }).ConfigureAwait(false);
        return outcomes;
    }

    /// <summary>Handles a notification from the listener or the pollingChannel; answers 2000 unless it is malformed.</summary>
    public ValueTask<ResponseStatusCode> HandleNotificationAsync(NotificationMessage notification, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notification);
        switch (notification.Kind)
        {
            case NotificationKind.VerificationRequest:
                // Only subscriptions whose nu is a URL cause this; we accept any that names us or our AE.
                return ValueTask.FromResult(ResponseStatusCode.Ok);
            case NotificationKind.SubscriptionDeleted:
                if (FindSubscriber(notification.SubscriptionReference) is { } gone && _devices.TryGetValue(gone.DeviceId, out DeviceState? d))
                {
                    d.EnsuredGeneration = 0; // re-created with the next reading (or poll)
                    Interlocked.Exchange(ref _treeLost, 1);
                }

                return ValueTask.FromResult(ResponseStatusCode.Ok);
        }

        if (FindSubscriber(notification.SubscriptionReference) is not { } target)
        {
            // After a restart the subscription IDs are learnt again only when a device's tree is ensured. Re-ensure the
            // known devices (creates answer 4105, subscriptions are read back) and then handle the notification.
            if (!_devices.IsEmpty && Interlocked.CompareExchange(ref _relearning, 1, 0) == 0)
            {
                _ = Task.Run(() => RelearnAndDispatchAsync(notification), CancellationToken.None);
            }
            else
            {
                _logger.LogWarning("oneM2M: notification for unknown subscription {Sur} ignored", BoundedText.Cap(notification.SubscriptionReference));
            }

            return ValueTask.FromResult(ResponseStatusCode.Ok);
        }

        DispatchEvent(notification, target);
        return ValueTask.FromResult(ResponseStatusCode.Ok);
    }

    private async Task RelearnAndDispatchAsync(NotificationMessage notification)
    {
        try
        {
            foreach (DeviceState device in _devices.Values)
            {
                device.EnsuredGeneration = 0;
                await EnsureDeviceAsync(device, CancellationToken.None).ConfigureAwait(false);
            }

            if (FindSubscriber(notification.SubscriptionReference) is { } target)
            {
                DispatchEvent(notification, target);
            }
            else
            {
                _logger.LogWarning("oneM2M: notification for unknown subscription {Sur} ignored", BoundedText.Cap(notification.SubscriptionReference));
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogError(ex, "oneM2M: re-learning subscriptions failed");
        }
        finally
        {
            Interlocked.Exchange(ref _relearning, 0);
        }
    }

    private void DispatchEvent(NotificationMessage notification, (string DeviceId, int Channel) target)
    {
        if (notification.ContentInstance is { } cin)
        {
            TakeCommandInstance(cin, target, null);
            return;
        }

        if (notification.RepresentationType == _options.Sdt.BinarySwitchKey && notification.Representation is { } rep
            && rep.ValueKind == JsonValueKind.Object
            && rep.TryGetProperty(_options.Sdt.SwitchStateDataPoint, out JsonElement state) && ReadingJson.TryBool(state, out bool wanted))
        {
            // Loop guard: our own write-back of the state also triggers the net=1 subscription.
            if (!_reportedSwitch.TryGetValue((target.DeviceId, target.Channel), out bool reported) || reported != wanted)
            {
                var command = new SwitchCommand(target.DeviceId, target.Channel, wanted,
                    "binSh-" + (rep.TryGetProperty("lt", out JsonElement lt) ? lt.ToString() : "update"));

                // Answer the CSE now; actuation can take a CoAP round trip or retransmissions.
                _ = Task.Run(() => ExecuteCommandAsync(command, CancellationToken.None), CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// A command contentInstance (notified, or found by the catch-up): carried out once per name, or, when the agent
    /// does not understand it, answered with a "malformed" outcome so that the platform is not left waiting.
    /// </summary>
    private void TakeCommandInstance(ContentInstance cin, (string DeviceId, int Channel) target, DateTimeOffset? createdAt)
    {
        string name = cin.ResourceName ?? cin.ResourceId ?? "cmd";
        if (!FirstSight(target.DeviceId + "/" + target.Channel.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/" + name))
        {
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.LogDebug("oneM2M: command {Command} for {Device}/{Channel} seen before; not carried out again", BoundedText.Cap(name), target.DeviceId, target.Channel);
            }

            return;
        }

        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset deadline = (createdAt ?? now) + _options.CommandTimeout;
        if (OneM2mTimestamp.TryParse(cin.ExpirationTime, out DateTimeOffset expires) && expires < deadline)
        {
            deadline = expires; // the platform's own limit: an expired command is not carried out
        }

        string? content = cin.ContentText;
        if (ReadingJson.TryParseSwitchCommand(content, out bool on))
        {
            var command = new SwitchCommand(target.DeviceId, target.Channel, on, name, deadline);

            // Answer the CSE now; actuation can take a CoAP round trip or retransmissions.
            _ = Task.Run(() => ExecuteCommandAsync(command, CancellationToken.None), CancellationToken.None);
            return;
        }

        _logger.LogWarning("oneM2M: command {Command} for {Device}/{Channel} not understood: {Content}",
            BoundedText.Cap(name), target.DeviceId, target.Channel, BoundedText.Cap(content));
        var rejected = new SwitchResult(false, null, "not a switch command: " + BoundedText.Cap(content, 64));
        _ = Task.Run(() => WriteOutcomeAsync(target.DeviceId, target.Channel, name, null, rejected, "malformed", CancellationToken.None), CancellationToken.None);
    }

    private bool FirstSight(string key)
    {
        if (!_seenCommands.TryAdd(key, 0))
        {
            return false;
        }

        _seenOrder.Enqueue(key);
        while (_seenOrder.Count > SeenCommandsKept && _seenOrder.TryDequeue(out string? old))
        {
            _seenCommands.TryRemove(old, out _);
        }

        return true;
    }

    private async Task CatchUpCommandAsync(string commandsPath, string deviceId, int channel)
    {
        try
        {
            ResponsePrimitive r = await _client.RetrieveAsync(commandsPath + "/la").ConfigureAwait(false);
            ContentInstance? cin = r.IsSuccess ? r.ReadResource(ContentInstance.RootKey, OneM2mJsonContext.Default.ContentInstance) : null;
            if (cin is not null && OneM2mTimestamp.TryParse(cin.CreationTime, out DateTimeOffset created))
            {
                // Its deadline counts from its creation at the platform: it may already be too old to carry out.
                TakeCommandInstance(cin, (deviceId, channel), created);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogWarning(ex, "oneM2M: looking for commands written while {Path} had no subscription failed", commandsPath);
        }
    }

    private (string DeviceId, int Channel)? FindSubscriber(string? sur)
    {
        if (string.IsNullOrEmpty(sur))
        {
            return null;
        }

        if (_subscriptions.TryGetValue(sur.TrimStart('/'), out var hit) || _subscriptions.TryGetValue(sur, out hit))
        {
            return hit;
        }

        // "/id-in/subXYZ" → "subXYZ"
        int slash = sur.LastIndexOf('/');
        return slash >= 0 && _subscriptions.TryGetValue(sur[(slash + 1)..], out hit) ? hit : null;
    }

    /// <summary>
    /// Switches the relay through the actuator, within the command's deadline, and writes the outcome back upstream:
    /// the state read back, or why not (refused, unreachable, timed out). Never reports a state it did not read.
    /// </summary>
    public async Task<SwitchResult> ExecuteCommandAsync(SwitchCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        SwitchResult result;
        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset deadline = command.Deadline ?? now + _options.CommandTimeout;
        if (Actuator is null)
        {
            result = new SwitchResult(false, null, "no actuator is wired", SwitchFailure.Unreachable);
        }
        else if (deadline <= now)
        {
            result = new SwitchResult(false, null, "the deadline passed before the command could start", SwitchFailure.TimedOut);
        }
        else
        {
            // The actuator stops at the deadline (the CoAP exchange stops retransmitting): a device that comes back
            // later is not switched by a command the platform was told had failed.
            using var timeout = new CancellationTokenSource(deadline - now, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                result = await Actuator.SwitchAsync(command, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                result = new SwitchResult(false, null, $"no confirmation within {(deadline - now).TotalSeconds:0.#} s", SwitchFailure.TimedOut);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogError(ex, "oneM2M: command {Command} failed", BoundedText.Cap(command.CommandId));
                result = new SwitchResult(false, null, BoundedText.Cap(ex.Message, 64), SwitchFailure.Unreachable);
            }
        }

        bool ok = result.Success && result.RelayOn == command.On;
        if (!ok)
        {
            _logger.LogWarning("oneM2M: command {Command} ({Device}/{Channel} {Wanted}) failed, {Reason}: {Detail}",
                BoundedText.Cap(command.CommandId), command.DeviceId, command.Channel, command.On ? "on" : "off", ReasonOf(result), result.Detail);
        }

        try
        {
            if (_options.Mode == MappingMode.Containers)
            {
                await WriteOutcomeAsync(command.DeviceId, command.Channel, command.CommandId, command.On, result, ok ? null : ReasonOf(result), cancellationToken).ConfigureAwait(false);
            }
            else if (result.RelayOn is { } actual && _devices.TryGetValue(command.DeviceId, out DeviceState? device))
            {
                ResponsePrimitive written = await ReportSwitchStateAsync(device, command.Channel, actual, command.CommandId, cancellationToken).ConfigureAwait(false);
                if (!written.IsSuccess)
                {
                    _logger.LogWarning("oneM2M: writing the outcome of command {Command} failed: {Response}", BoundedText.Cap(command.CommandId), written);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogError(ex, "oneM2M: writing the outcome of command {Command} failed", BoundedText.Cap(command.CommandId));
        }

        Interlocked.Increment(ref _commandsExecuted);
        CommandExecuted?.Invoke(this, (command, result));
        return result;
    }

    private static string ReasonOf(SwitchResult result) => result.Failure switch
    {
        SwitchFailure.TimedOut => "timed-out",
        SwitchFailure.Unreachable => "unreachable",
        _ => "refused",
    };

    /// <summary>
    /// The outcome contentInstance in <c>chN/state</c>, named after the command (<c>s-&lt;cmd&gt;</c>) so that a retried
    /// write meets 4105: <c>{"cmd","requested","ok","relay" (only when read back),"reason","detail","ts"}</c>.
    /// </summary>
    private async Task WriteOutcomeAsync(string deviceId, int channel, string commandId, bool? requested, SwitchResult result, string? reason, CancellationToken ct)
    {
        if (!_devices.TryGetValue(deviceId, out DeviceState? device) || channel < 1 || channel > device.Descriptor.Channels)
        {
            return;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(160);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("cmd", commandId);
            if (requested is { } wanted)
            {
                w.WriteBoolean("requested", wanted);
            }

            w.WriteBoolean("ok", reason is null);
            if (result.RelayOn is { } relay)
            {
                w.WriteBoolean("relay", relay);
            }

            if (reason is not null)
            {
                w.WriteString("reason", reason);
                if (result.Detail is { } detail)
                {
                    w.WriteString("detail", BoundedText.Cap(detail));
                }
            }

            w.WriteString("ts", OneM2mTimestamp.FormatWithFraction(_time.GetUtcNow()));
            w.WriteEndObject();
        }

        var cin = new ContentInstance
        {
            // Idempotent per command: a retried write-back meets 4105.
            ResourceName = "s-" + SanitizeName(commandId),
            ContentInfo = "application/json:0",
            Content = JsonSerializer.SerializeToElement(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan), OneM2mJsonContext.Default.String),
        };
        if (result.RelayOn is { } state)
        {
            _reportedSwitch[(deviceId, channel)] = state;
        }

        ResponsePrimitive written = await _client.CreateContentInstanceAsync(ChannelPath(device, channel) + "/" + ResourceNames.State, cin, ct).ConfigureAwait(false);
        if (!written.IsSuccess && written.Outcome != ResponseOutcome.AlreadyExists)
        {
            _logger.LogWarning("oneM2M: writing the outcome of command {Command} failed: {Response}", BoundedText.Cap(commandId), written);
        }
    }

    private async Task<ResponsePrimitive> ReportSwitchStateAsync(DeviceState device, int channel, bool on, string why, CancellationToken ct)
    {
        // Record first: the notification caused by this very update must be recognised as ours.
        _reportedSwitch[(device.Descriptor.Id, channel)] = on;
        byte[] body = ReadingJson.FlexContainer(_options.Sdt.BinarySwitchKey, "", "", (_options.Sdt.SwitchStateDataPoint, on));
        ResponsePrimitive r = await _client.UpdateRawAsync(ChannelPath(device, channel) + "/" + ResourceNames.BinarySwitch, body, ct).ConfigureAwait(false);
        if (!r.IsSuccess && _logger.IsEnabled(LogLevel.Debug))
        {
            _logger.LogDebug("oneM2M: reporting switch state ({Why}) failed: {Response}", why, r);
        }

        return r;
    }

    private static string SanitizeName(string s)
    {
        Span<char> buffer = s.Length <= 128 ? stackalloc char[s.Length] : new char[s.Length];
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            buffer[i] = char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '-';
        }

        return new string(buffer);
    }

    /// <summary>
    /// Polling fallback for a gateway the CSE cannot reach (no poa / NAT): long-polls <c>&lt;AE&gt;/pch/pcu</c> and
    /// handles the notifications it returns (wrapped in <c>m2m:rqp</c>). Runs until cancelled.
    /// <para>
    /// A CSE keeps a queued notification only until its request expiration, so the loop must not sleep through the
    /// platform's return: its back-off ends at once when another request of this interworking succeeds or the AE is
    /// registered again, and a 404 for the polling channel (a wiped or restarted CSE) re-creates the AE, the polling
    /// channel and the device trees with their subscriptions at once.
    /// </para>
    /// </summary>
    public async Task RunPollingAsync(CancellationToken cancellationToken)
    {
        TimeSpan backoff = s_firstPollBackoff;
        bool notFoundBefore = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (!await EnsureRegisteredAsync(cancellationToken).ConfigureAwait(false))
                {
                    backoff = await BackOffAsync(backoff, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                // Commands reach the polling channel only through the subscriptions: after a wipe they are re-created
                // here, not only when the next reading of each device happens to meet a 404.
                foreach (DeviceState device in _devices.Values)
                {
                    await EnsureDeviceAsync(device, cancellationToken).ConfigureAwait(false);
                }

                ResponsePrimitive r = await _client.RetrieveAsync(_options.AeName + "/" + ResourceNames.PollingChannel + "/pcu",
                    timeout: _options.PollTimeout + TimeSpan.FromSeconds(5), cancellationToken: cancellationToken).ConfigureAwait(false);
                if (r.IsSuccess)
                {
                    backoff = s_firstPollBackoff;
                    notFoundBefore = false;
                    await HandlePolledAsync(r, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (r.Outcome == ResponseOutcome.Timeout || r.StatusCode == ResponseStatusCode.RequestTimeout)
                {
                    backoff = s_firstPollBackoff;
                    continue; // nothing to deliver within the long-poll window
                }

                if (r.Outcome == ResponseOutcome.NotFound)
                {
                    Interlocked.Exchange(ref _registeredGeneration, 0);
                    Interlocked.Exchange(ref _treeLost, 1);
                    if (!notFoundBefore)
                    {
                        // Once at once; a platform that keeps answering 404 after the re-creation gets the back-off.
                        if (_logger.IsEnabled(LogLevel.Information))
                        {
                            _logger.LogInformation("oneM2M: the pollingChannel is gone ({Response}); registering again", r);
                        }
                        notFoundBefore = true;
                        continue;
                    }
                }

                backoff = await BackOffAsync(backoff, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Waits <paramref name="backoff"/>, or less when the platform shows it is back; returns the next back-off.</summary>
    private async Task<TimeSpan> BackOffAsync(TimeSpan backoff, CancellationToken cancellationToken)
    {
        var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _pollWake, wake);
        using var delayStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task delay = Task.Delay(backoff, _time, delayStop.Token);
        Task first = await Task.WhenAny(delay, wake.Task).ConfigureAwait(false);
        Interlocked.CompareExchange(ref _pollWake, null, wake);
        await delayStop.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (first == wake.Task)
        {
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.LogDebug("oneM2M: the platform answers again; polling at once");
            }

            return s_firstPollBackoff;
        }

        return TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_maxPollBackoff.Ticks));
    }

    /// <summary>A request of this interworking succeeded: a polling loop that is backing off polls at once.</summary>
    private void WakePolling() => Volatile.Read(ref _pollWake)?.TrySetResult();

    private async Task HandlePolledAsync(ResponsePrimitive response, CancellationToken ct)
    {
        RequestPrimitiveJson? rqp = response.ReadResource(RequestPrimitiveJson.RootKey, OneM2mJsonContext.Default.RequestPrimitiveJson);
        if (rqp?.Content is not { } pc || pc.ValueKind != JsonValueKind.Object
            || !pc.TryGetProperty(Notification.RootKey, out JsonElement sgnElement))
        {
            _logger.LogWarning("oneM2M: pollingChannel returned something that is not a notification");
            return;
        }

        Notification? sgn = sgnElement.Deserialize(OneM2mJsonContext.Default.Notification);
        if (sgn is not null && NotificationMessage.TryCreate(sgn, out NotificationMessage? message, rqp.From, rqp.RequestIdentifier))
        {
            await HandleNotificationAsync(message!, ct).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _registerLock.Dispose();
        foreach (DeviceState device in _devices.Values)
        {
            device.Lock.Dispose();
        }
    }
}
