using System.Buffers;
using System.Text;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Lwm2m.ContentFormats;
using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Operations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Lwm2m.Registration;

/// <summary>
/// Turns server → client CoAP requests into LwM2M operations (Core TS 8.2 mapping table):
/// GET Read / Discover (Accept 40) / Observe, PUT Write-Replace or Write-Attributes (query, no body),
/// POST Execute / Create / Write-Partial-Update / Bootstrap-Finish, DELETE Delete, FETCH
/// Read-Composite, iPATCH Write-Composite. Errors become 4.xx with the reason as text payload;
/// nothing a server sends can throw past this class.
/// </summary>
internal sealed class Lwm2mRequestHandler
{
    private readonly Lwm2mDataModel _model;
    private readonly Lwm2mCodec _codec;
    private readonly AttributeStore _attributes;
    private readonly ObservationEngine? _observations;
    private readonly ILogger _logger;

    public Lwm2mRequestHandler(Lwm2mDataModel model, Lwm2mCodec codec, AttributeStore attributes, ObservationEngine? observations, Lwm2mOrigin origin, ILogger? logger)
    {
        _model = model;
        _codec = codec;
        _attributes = attributes;
        _observations = observations;
        Origin = origin;
        _logger = logger ?? NullLogger.Instance;
    }

    public Lwm2mOrigin Origin { get; }

    /// <summary>Where the owner puts the POST /bs (Bootstrap-Finish) callback; it returns the status to answer.</summary>
    public Lwm2mClient.HandlerSlot? BootstrapFinishSlot { get; set; }

    /// <summary>Counts requests answered with 4.00 because the payload was malformed.</summary>
    public long MalformedRequests => Interlocked.Read(ref _malformed);

    private long _malformed;

    public CoapResponse Handle(CoapRequestContext request, CoapResource node)
    {
        try
        {
            if (!Lwm2mPath.TryFromSegments(request.Path, out var path))
            {
                return Error(Lwm2mStatus.NotFound, "Not an LwM2M path.");
            }

            var method = request.Method;
            if (method == CoapCode.Get)
            {
                return Get(request, path, node);
            }

            if (method == CoapCode.Put)
            {
                return Put(request, path);
            }

            if (method == CoapCode.Post)
            {
                return Post(request, path);
            }

            if (method == CoapCode.Delete)
            {
                _model.Delete(path, Origin);
                _attributes.RemoveBelow(path);
                return new CoapResponse(CoapCode.Deleted);
            }

            if (method == CoapCode.Fetch && Origin == Lwm2mOrigin.DeviceManagement)
            {
                return CompositeRead(request);
            }

            if (method == CoapCode.IPatch && Origin == Lwm2mOrigin.DeviceManagement)
            {
                return CompositeWrite(request);
            }

            return Error(Lwm2mStatus.MethodNotAllowed, "Operation not supported.");
        }
        catch (Lwm2mException ex)
        {
            return Error(ex.Status, ex.Message);
        }
        catch (Lwm2mFormatException ex)
        {
            Interlocked.Increment(ref _malformed);
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation("Rejected malformed {Method} {Path}: {Reason}", request.Method.Name, string.Join('/', request.Path), ex.Message);
            }
            return Error(Lwm2mStatus.BadRequest, ex.Message);
        }
    }

    public CoapResponse HandleBootstrapFinish()
    {
        var status = BootstrapFinishSlot?.BootstrapFinishCallback?.Invoke() ?? Lwm2mStatus.MethodNotAllowed;
        return status == Lwm2mStatus.Changed ? new CoapResponse(CoapCode.Changed) : Error(status, "Bootstrap configuration is inconsistent: no server account with a matching /1 instance.");
    }

    private CoapResponse Get(CoapRequestContext request, Lwm2mPath path, CoapResource node)
    {
        if (request.Accept == Lwm2mContentFormat.LinkFormat)
        {
            string links = Origin == Lwm2mOrigin.Bootstrap
                ? DiscoverWriter.BootstrapDiscover(_model, path)
                : DiscoverWriter.Discover(_model, _attributes, path);
            return new CoapResponse(CoapCode.Content, Encoding.UTF8.GetBytes(links), Lwm2mContentFormat.LinkFormat);
        }

        if (!request.IsNotification && request.Message.Observe == 0 && _observations is not null &&
            !_observations.HasRoomFor(request.Message.Token.ToString(), o => o.Context is CoapResource { ObserverCount: 0 }))
        {
            // Neither LwM2M nor RFC 7641 sets a code; 5.03 says "not now" (cancelling one makes room),
            // where RFC 7641's plain-GET fallback would leave a server believing it observes.
            return Error(Lwm2mStatus.ServiceUnavailable, $"Too many observations (at most {_observations.MaxObservations}); cancel one first.");
        }

        var records = _model.Read(path, Origin);
        ushort format = _codec.SelectFormat(path, records, request.Accept is int a ? (ushort)a : null);
        var buffer = new ArrayBufferWriter<byte>(256);
        _codec.Encode(format, path, records, buffer);
        var response = new CoapResponse(CoapCode.Content, buffer.WrittenMemory, format);
        if (!request.IsNotification && _observations is not null)
        {
            string token = request.Message.Token.ToString();
            if (request.Message.Observe == 0)
            {
                _observations.Add(token, [path], format, records, node);
            }
            else if (request.Message.Observe == 1)
            {
                _observations.Cancel(token);
            }
        }

        return response;
    }

    private CoapResponse Put(CoapRequestContext request, Lwm2mPath path)
    {
        if (request.Payload.IsEmpty && request.Query.Count > 0 && request.ContentFormat is null)
        {
            if (Origin != Lwm2mOrigin.DeviceManagement)
            {
                return Error(Lwm2mStatus.MethodNotAllowed, "Write-Attributes is a management operation.");
            }

            var changes = AttributeChanges.Parse(request.Query);
            if (path.IsRoot || !_model.Exists(path))
            {
                return Error(Lwm2mStatus.NotFound, $"{path} not found.");
            }

            var def = path.Length >= 3 ? _model.GetObject(path.ObjectId)?.GetResource(path.ResourceId) : null;
            _attributes.Write(path, changes, def);
            return new CoapResponse(CoapCode.Changed);
        }

        var records = Decode(request, path, null);
        if (Origin == Lwm2mOrigin.Bootstrap && path.ObjectId == 0 && path.Length >= 2 && !KeepsBootstrapFlag(path, records) &&
            _model.GetEnabler(0) is Objects.SecurityObject security && security.MoveBootstrapAccountFrom(path.InstanceId) is int moved &&
            _logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("Bootstrap-Write to {Path} would have replaced the Bootstrap-Server account; it moved to /0/{Instance}", path, moved);
        }

        _model.Write(path, records, WriteMode.Replace, Origin);
        return new CoapResponse(CoapCode.Changed);
    }

    /// <summary>Whether a Bootstrap-Write to /0/x leaves Bootstrap-Server (/0/x/1) true: it rewrites the bootstrap account itself.</summary>
    private static bool KeepsBootstrapFlag(Lwm2mPath path, List<Lwm2mRecord> records)
    {
        if (path.Length >= 3 && path.ResourceId != Objects.SecurityObject.BootstrapServer)
        {
            return true;   // another resource of the instance: the flag is untouched
        }

        return records.Any(r => r.Path.Length >= 3 && r.Path.ResourceId == Objects.SecurityObject.BootstrapServer &&
            r.Value.Type == ResourceType.Boolean && r.Value.AsBoolean());
    }

    private CoapResponse Post(CoapRequestContext request, Lwm2mPath path)
    {
        // POST on a resource is Execute, except a Partial Update that adds instances to a
        // multiple resource (it carries a Content-Format). Everything else goes to Execute so that a
        // resource that cannot be executed answers 4.05 and one that does not exist 4.04, never 4.00.
        if (path.IsResource && !(_model.GetObject(path.ObjectId)?.GetResource(path.ResourceId) is { IsExecutable: false, Multiple: true } && request.ContentFormat is not null))
        {
            if (Origin != Lwm2mOrigin.DeviceManagement)
            {
                return Error(Lwm2mStatus.MethodNotAllowed, "Execute is a management operation.");
            }

            string arguments;
            try
            {
                arguments = new UTF8Encoding(false, true).GetString(request.Payload.Span);
            }
            catch (DecoderFallbackException)
            {
                return Error(Lwm2mStatus.BadRequest, "Execute arguments are not text.");
            }

            var status = _model.Execute(path, arguments, Origin);
            return status == Lwm2mStatus.Changed ? new CoapResponse(CoapCode.Changed) : Error(status, "Execute refused.");
        }

        if (path.IsObject)
        {
            var enabler = _model.GetEnabler(path.ObjectId) ?? throw new Lwm2mException(Lwm2mStatus.NotFound, $"{path} not found.");
            int candidate = enabler.InstanceIds.Count == 0 ? 0 : enabler.InstanceIds.Max() + 1;
            var records = Decode(request, path, candidate);
            int? requested = records.Count > 0 ? records[0].Path.InstanceId : null;
            if (records.Any(r => r.Path.InstanceId != requested))
            {
                return Error(Lwm2mStatus.BadRequest, "Create makes one instance at a time.");
            }

            int id = _model.Create(path.ObjectId, requested, records, Origin);
            var created = new CoapResponse(CoapCode.Created);
            created.Options.Add(CoapOptionNumber.LocationPath, path.ObjectId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            created.Options.Add(CoapOptionNumber.LocationPath, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return created;
        }

        if (path.IsRoot)
        {
            return Error(Lwm2mStatus.MethodNotAllowed, "POST / is not defined.");
        }

        var update = Decode(request, path, null);
        _model.Write(path, update, WriteMode.PartialUpdate, Origin);
        return new CoapResponse(CoapCode.Changed);
    }

    private CoapResponse CompositeRead(CoapRequestContext request)
    {
        ushort format = request.ContentFormat is int cf ? (ushort)cf : Lwm2mContentFormat.SenmlJson;
        var paths = _codec.DecodePaths(format, request.Payload);
        var records = new List<Lwm2mRecord>();
        foreach (var p in paths)
        {
            try
            {
                _model.ReadInto(p, Origin, records);
            }
            catch (Lwm2mException ex) when (ex.Status == Lwm2mStatus.NotFound)
            {
                // Core TS 6.3.8: a missing path is left out of a composite result.
            }
        }

        ushort accept = request.Accept is int a ? (ushort)a : format;
        var buffer = new ArrayBufferWriter<byte>(256);
        _codec.EncodeComposite(accept, records, buffer);
        return new CoapResponse(CoapCode.Content, buffer.WrittenMemory, accept);
    }

    private CoapResponse CompositeWrite(CoapRequestContext request)
    {
        ushort format = request.ContentFormat is int cf ? (ushort)cf : throw new Lwm2mFormatException("Write-Composite needs a Content-Format.");
        var records = _codec.DecodeComposite(format, request.Payload);
        using var transaction = _model.BeginTransaction(Origin);
        foreach (var group in records.GroupBy(r => r.Path.Truncate(3)))
        {
            transaction.Write(group.Key.Truncate(2), group.ToArray(), WriteMode.PartialUpdate);
        }

        transaction.Commit();
        return new CoapResponse(CoapCode.Changed);
    }

    private List<Lwm2mRecord> Decode(CoapRequestContext request, Lwm2mPath path, int? newInstanceId)
    {
        if (request.ContentFormat is not int cf)
        {
            throw new Lwm2mFormatException("The request has a payload but no Content-Format.");
        }

        return _codec.Decode((ushort)cf, request.Payload, path, newInstanceId);
    }

    internal static CoapResponse Error(Lwm2mStatus status, string reason) =>
        CoapResponse.FromText(new CoapCode((byte)(status == Lwm2mStatus.None ? Lwm2mStatus.InternalServerError : status)), reason.Length > 200 ? reason[..200] : reason);
}

/// <summary>
/// A node of the served tree (/o, /o/i, /o/i/r). Every node handles the paths below it too, so
/// writes to resources not set yet and bootstrap writes to new instances still reach the model;
/// nodes exist per path so that Observe relations (and their pmin/pmax) stay per path.
/// </summary>
internal sealed class Lwm2mNodeResource : CoapResource
{
    private readonly Lwm2mRequestHandler _handler;

    public Lwm2mNodeResource(string name, Lwm2mRequestHandler handler, bool observable)
        : base(name)
    {
        _handler = handler;
        HandlesSubPaths = true;
        IsObservable = observable;
        IsVisible = false;
    }

    public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken) => Handle(request);

    public override ValueTask<CoapResponse> HandlePutAsync(CoapRequestContext request, CancellationToken cancellationToken) => Handle(request);

    public override ValueTask<CoapResponse> HandlePostAsync(CoapRequestContext request, CancellationToken cancellationToken) => Handle(request);

    public override ValueTask<CoapResponse> HandleDeleteAsync(CoapRequestContext request, CancellationToken cancellationToken) => Handle(request);

    private ValueTask<CoapResponse> Handle(CoapRequestContext request) => ValueTask.FromResult(_handler.Handle(request, this));
}

/// <summary>The root: Bootstrap-Discover/Delete on /, Read/Write-Composite (FETCH/iPATCH), POST /bs (Bootstrap-Finish).</summary>
internal sealed class Lwm2mRootResource : CoapResource
{
    private readonly Lwm2mRequestHandler _handler;

    public Lwm2mRootResource(Lwm2mRequestHandler handler)
        : base(string.Empty)
    {
        _handler = handler;
        if (handler.Origin == Lwm2mOrigin.Bootstrap)
        {
            Add(new BootstrapFinishResource(handler));
        }
    }

    public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken) => ValueTask.FromResult(_handler.Handle(request, this));

    public override ValueTask<CoapResponse> HandleDeleteAsync(CoapRequestContext request, CancellationToken cancellationToken) => ValueTask.FromResult(_handler.Handle(request, this));

    public override ValueTask<CoapResponse> HandleFetchAsync(CoapRequestContext request, CancellationToken cancellationToken) => ValueTask.FromResult(_handler.Handle(request, this));

    public override ValueTask<CoapResponse> HandlePatchAsync(CoapRequestContext request, CancellationToken cancellationToken) => ValueTask.FromResult(_handler.Handle(request, this));

    private sealed class BootstrapFinishResource(Lwm2mRequestHandler handler) : CoapResource("bs")
    {
        public override ValueTask<CoapResponse> HandlePostAsync(CoapRequestContext request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(handler.HandleBootstrapFinish());
    }
}

/// <summary>Keeps the served CoAP tree in step with the model's objects and instances.</summary>
internal sealed class Lwm2mResourceTree : IDisposable
{
    private readonly Lwm2mDataModel _model;
    private readonly Lwm2mRequestHandler _handler;
    private readonly Lock _gate = new();

    public Lwm2mResourceTree(Lwm2mDataModel model, Lwm2mRequestHandler handler)
    {
        _model = model;
        _handler = handler;
        Root = new Lwm2mRootResource(handler);
        Sync();
        _model.Changed += OnChanged;
    }

    public Lwm2mRootResource Root { get; }

    public void Dispose() => _model.Changed -= OnChanged;

    /// <summary>The node that serves <paramref name="path"/> (the deepest existing one).</summary>
    public CoapResource Find(Lwm2mPath path)
    {
        CoapResource node = Root;
        for (int level = 0; level < path.Length; level++)
        {
            var child = node.GetChild(path.IdAt(level).ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (child is null)
            {
                break;
            }

            node = child;
        }

        return node;
    }

    private void OnChanged(object? sender, Lwm2mChangedEventArgs e)
    {
        if (e.StructureChanged)
        {
            Sync();
        }
    }

    private void Sync()
    {
        bool observable = _handler.Origin == Lwm2mOrigin.DeviceManagement;
        lock (_gate)
        {
            foreach (var (definition, instances) in _model.DescribeObjects())
            {
                string objectName = definition.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var objectNode = Root.GetChild(objectName) ?? Root.Add(new Lwm2mNodeResource(objectName, _handler, observable) { IsVisible = true });
                var wanted = instances.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet(StringComparer.Ordinal);
                foreach (var child in objectNode.Children)
                {
                    if (!wanted.Contains(child.Name))
                    {
                        objectNode.Remove(child.Name);   // observers of a deleted instance get 4.04
                    }
                }

                foreach (string instanceName in wanted)
                {
                    if (objectNode.GetChild(instanceName) is not null)
                    {
                        continue;
                    }

                    var instanceNode = objectNode.Add(new Lwm2mNodeResource(instanceName, _handler, observable));
                    foreach (int rid in definition.ResourceIds)
                    {
                        instanceNode.Add(new Lwm2mNodeResource(rid.ToString(System.Globalization.CultureInfo.InvariantCulture), _handler, observable));
                    }
                }
            }
        }
    }
}
