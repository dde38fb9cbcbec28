namespace ActiveGate.Lwm2m.Model;

/// <summary>
/// The client's object tree: the enablers by object id plus the server-facing operations (Read,
/// Write, Create, Delete, Execute, Discover) with the access rules of each origin. Writes go through
/// <see cref="Lwm2mTransaction"/> (validate everything, then commit all or nothing).
/// </summary>
public sealed class Lwm2mDataModel : IResourceDefinitionProvider
{
    private readonly SortedDictionary<int, Lwm2mObjectEnabler> _objects = new();

    /// <summary>The lock that guards every enabler and instance of this model.</summary>
    internal Lock Gate { get; } = new();

    /// <summary>Raised after values or instances changed, whoever changed them (outside the lock).</summary>
    public event EventHandler<Lwm2mChangedEventArgs>? Changed;

    public TEnabler Add<TEnabler>(TEnabler enabler)
        where TEnabler : Lwm2mObjectEnabler
    {
        ArgumentNullException.ThrowIfNull(enabler);
        lock (Gate)
        {
            if (!_objects.TryAdd(enabler.ObjectId, enabler))
            {
                throw new InvalidOperationException($"Object {enabler.ObjectId} is already in the model.");
            }

            enabler.Model = this;
        }

        RaiseChanged([new Lwm2mPath(enabler.ObjectId)], structureChanged: true, Lwm2mOrigin.Local);
        return enabler;
    }

    public IReadOnlyList<Lwm2mObjectEnabler> Objects
    {
        get
        {
            lock (Gate)
            {
                return _objects.Values.ToArray();
            }
        }
    }

    public Lwm2mObjectEnabler? GetEnabler(int objectId)
    {
        lock (Gate)
        {
            return _objects.GetValueOrDefault(objectId);
        }
    }

    public ObjectDefinition? GetObject(int objectId) => GetEnabler(objectId)?.Definition;

    /// <summary>The (object, instance ids) pairs for the Register/Update link payload.</summary>
    public IReadOnlyList<(ObjectDefinition Definition, IReadOnlyList<int> Instances)> DescribeObjects()
    {
        lock (Gate)
        {
            return _objects.Values.Select(o => (o.Definition, (IReadOnlyList<int>)o.InstancesUnlocked.Select(kv => kv.Key).ToArray())).ToArray();
        }
    }

    public Lwm2mTransaction BeginTransaction(Lwm2mOrigin origin) => new(this, origin);

    /// <summary>Read (Core TS 6.3.1): the flat records of every readable value below <paramref name="path"/>.</summary>
    public IReadOnlyList<Lwm2mRecord> Read(Lwm2mPath path, Lwm2mOrigin origin)
    {
        var records = new List<Lwm2mRecord>();
        ReadInto(path, origin, records);
        return records;
    }

    /// <summary>Reads into a caller-provided list (avoids allocating a list per notification).</summary>
    public void ReadInto(Lwm2mPath path, Lwm2mOrigin origin, List<Lwm2mRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (path.IsRoot)
        {
            throw new Lwm2mException(Lwm2mStatus.MethodNotAllowed, "Read on / is not defined.");
        }

        CheckAccess(path, origin, read: true);
        lock (Gate)
        {
            var enabler = _objects.GetValueOrDefault(path.ObjectId) ?? throw NotFound(path);
            if (path.IsObject)
            {
                foreach (var (_, instance) in enabler.InstancesUnlocked)
                {
                    ReadInstanceUnlocked(instance, enabler.Definition, records);
                }

                return;
            }

            var inst = enabler.GetInstanceUnlocked(path.InstanceId) ?? throw NotFound(path);
            if (path.IsInstance)
            {
                ReadInstanceUnlocked(inst, enabler.Definition, records);
                return;
            }

            var definition = enabler.Definition.GetResource(path.ResourceId) ?? throw NotFound(path);
            if (!definition.IsReadable)
            {
                throw new Lwm2mException(Lwm2mStatus.MethodNotAllowed, $"{path} is not readable.");
            }

            var resource = inst.ReadUnlocked(path.ResourceId) ?? throw NotFound(path);
            if (path.IsResource)
            {
                resource.AppendRecords(inst.Path, records);
                return;
            }

            if (!resource.IsMultiple || !resource.Instances.TryGetValue(path.ResourceInstanceId, out var value))
            {
                throw NotFound(path);
            }

            records.Add(new Lwm2mRecord(path, value));
        }
    }

    /// <summary>True when <paramref name="path"/> exists (an object, instance, present resource or resource instance).</summary>
    public bool Exists(Lwm2mPath path)
    {
        lock (Gate)
        {
            if (path.IsRoot)
            {
                return true;
            }

            var enabler = _objects.GetValueOrDefault(path.ObjectId);
            if (enabler is null || path.IsObject)
            {
                return enabler is not null;
            }

            var inst = enabler.GetInstanceUnlocked(path.InstanceId);
            if (inst is null || path.IsInstance)
            {
                return inst is not null;
            }

            var def = enabler.Definition.GetResource(path.ResourceId);
            if (def is null)
            {
                return false;
            }

            if (def.IsExecutable)
            {
                return path.IsResource;
            }

            var res = inst.ReadUnlocked(path.ResourceId);
            return res is not null && (path.IsResource || (res.IsMultiple && res.Instances.ContainsKey(path.ResourceInstanceId)));
        }
    }

    /// <summary>Write (Core TS 6.3.3) in its own transaction.</summary>
    public void Write(Lwm2mPath path, IReadOnlyList<Lwm2mRecord> records, WriteMode mode, Lwm2mOrigin origin)
    {
        using var transaction = BeginTransaction(origin);
        transaction.Write(path, records, mode);
        transaction.Commit();
    }

    /// <summary>Create (Core TS 6.3.6) in its own transaction; returns the new instance id.</summary>
    public int Create(int objectId, int? instanceId, IReadOnlyList<Lwm2mRecord> records, Lwm2mOrigin origin)
    {
        using var transaction = BeginTransaction(origin);
        int id = transaction.Create(objectId, instanceId, records);
        transaction.Commit();
        return id;
    }

    /// <summary>Delete (Core TS 6.3.7) or Bootstrap-Delete in its own transaction.</summary>
    public void Delete(Lwm2mPath path, Lwm2mOrigin origin)
    {
        using var transaction = BeginTransaction(origin);
        transaction.Delete(path);
        transaction.Commit();
    }

    /// <summary>Execute (Core TS 6.3.5). The handler runs outside the model lock.</summary>
    public Lwm2mStatus Execute(Lwm2mPath path, string arguments, Lwm2mOrigin origin)
    {
        if (!path.IsResource)
        {
            throw new Lwm2mException(Lwm2mStatus.MethodNotAllowed, "Execute targets a resource.");
        }

        CheckAccess(path, origin, read: false);
        Lwm2mInstance instance;
        lock (Gate)
        {
            var enabler = _objects.GetValueOrDefault(path.ObjectId) ?? throw NotFound(path);
            instance = enabler.GetInstanceUnlocked(path.InstanceId) ?? throw NotFound(path);
            var definition = enabler.Definition.GetResource(path.ResourceId) ?? throw NotFound(path);
            if (!definition.IsExecutable)
            {
                throw new Lwm2mException(Lwm2mStatus.MethodNotAllowed, $"{path} is not executable.");
            }
        }

        var args = ExecuteArguments.Parse(arguments);
        var status = instance.Execute(path.ResourceId, args);
        return status == Lwm2mStatus.None ? Lwm2mStatus.Changed : status;
    }

    /// <summary>
    /// The nodes a Discover (Core TS 6.3.4) lists below <paramref name="path"/>: for an object its
    /// instances and their resources, for an instance its resources, for a resource itself; multiple
    /// resources carry their instance count (<c>dim</c>).
    /// </summary>
    public IReadOnlyList<(Lwm2mPath Path, int? Dimension)> Discover(Lwm2mPath path, Lwm2mOrigin origin, bool includeResources = true)
    {
        if (path.IsRoot || path.IsResourceInstance)
        {
            throw new Lwm2mException(Lwm2mStatus.MethodNotAllowed, "Discover targets an object, instance or resource.");
        }

        if (origin == Lwm2mOrigin.DeviceManagement)
        {
            CheckAccess(path, origin, read: true);
        }

        var nodes = new List<(Lwm2mPath, int?)>();
        lock (Gate)
        {
            var enabler = _objects.GetValueOrDefault(path.ObjectId) ?? throw NotFound(path);
            nodes.Add((new Lwm2mPath(path.ObjectId), null));
            IEnumerable<KeyValuePair<int, Lwm2mInstance>> instances = enabler.InstancesUnlocked;
            if (!path.IsObject)
            {
                var only = enabler.GetInstanceUnlocked(path.InstanceId) ?? throw NotFound(path);
                instances = [new(path.InstanceId, only)];
                nodes.Clear();
            }

            foreach (var (id, instance) in instances)
            {
                if (path.IsObject || path.IsInstance)
                {
                    nodes.Add((new Lwm2mPath(path.ObjectId, id), null));
                }

                if (!includeResources)
                {
                    continue;
                }

                foreach (int rid in enabler.Definition.ResourceIds)
                {
                    if (path.IsResource && rid != path.ResourceId)
                    {
                        continue;
                    }

                    var def = enabler.Definition.Resources[rid];
                    var resource = def.IsExecutable ? null : instance.ReadUnlocked(rid);
                    bool present = def.IsExecutable ? instance.HasExecuteHandler(rid) || def.Mandatory : resource is not null;
                    if (!present)
                    {
                        if (path.IsResource)
                        {
                            throw NotFound(path);
                        }

                        continue;
                    }

                    nodes.Add((new Lwm2mPath(path.ObjectId, id, rid), resource is { IsMultiple: true } ? resource.Instances.Count : null));
                }
            }
        }

        return nodes;
    }

    internal void RaiseChanged(IReadOnlyList<Lwm2mPath> paths, bool structureChanged, Lwm2mOrigin origin) =>
        Changed?.Invoke(this, new Lwm2mChangedEventArgs(paths, structureChanged, origin));

    internal static void CheckAccess(Lwm2mPath path, Lwm2mOrigin origin, bool read)
    {
        // The Security object holds the keys: only the bootstrap server and the application see it.
        if (origin == Lwm2mOrigin.DeviceManagement && !path.IsRoot && path.ObjectId == 0)
        {
            throw new Lwm2mException(Lwm2mStatus.Unauthorized, "The Security object is not accessible to a management server.");
        }

        // Bootstrap-Read (1.1) is allowed on the Server and Access Control objects only.
        if (origin == Lwm2mOrigin.Bootstrap && read && !path.IsRoot && path.ObjectId is not (1 or 2))
        {
            throw new Lwm2mException(Lwm2mStatus.MethodNotAllowed, "Bootstrap-Read is allowed on /1 and /2 only.");
        }
    }

    internal static Lwm2mException NotFound(Lwm2mPath path) => new(Lwm2mStatus.NotFound, $"{path} not found.");

    private static void ReadInstanceUnlocked(Lwm2mInstance instance, ObjectDefinition definition, List<Lwm2mRecord> records)
    {
        var path = instance.Path;
        foreach (int rid in definition.ResourceIds)
        {
            var def = definition.Resources[rid];
            if (def.IsReadable && instance.ReadUnlocked(rid) is { } resource)
            {
                resource.AppendRecords(path, records);
            }
        }
    }
}
