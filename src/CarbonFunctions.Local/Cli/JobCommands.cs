using System.CommandLine;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;
using Spectre.Console;

namespace CarbonFunctions.Local.Cli;

/// <summary><c>carbonctl jobs ...</c>: enqueue, list, show, complete, cancel, poison.</summary>
public static class JobCommands
{
    public static Command Create(Option<string?> connection)
    {
        var jobs = new Command("jobs", "Submit and inspect training jobs");
        jobs.Subcommands.Add(Enqueue(connection));
        jobs.Subcommands.Add(List(connection));
        jobs.Subcommands.Add(Show(connection));
        jobs.Subcommands.Add(Status(connection));
        jobs.Subcommands.Add(Signal(connection, "complete", "Report that a job's training run finished (or failed with --failed)"));
        jobs.Subcommands.Add(Signal(connection, "cancel", "Cancel a job: its pool is stopped and the job ends"));
        jobs.Subcommands.Add(Poison(connection));
        return jobs;
    }

    private static Command Enqueue(Option<string?> connection)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A job in the training-job contract (schemas/training-job.v1.schema.json)" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var command = new Command("enqueue", "Validate a job file and put it on the training-jobs queue") { file, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                Output.Error($"{path.FullName} does not exist");
                return Output.InvalidInput;
            }

            var configuration = CliSettings.Load();
            var body = await File.ReadAllTextAsync(path.FullName, cancellationToken);
            var planner = CliSettings.Bind<CarbonFunctions.Core.Planning.PlannerOptions>(configuration, CarbonFunctions.Core.Planning.PlannerOptions.SectionName, o => o.Validate());
            var result = JobIntake.Read(body, CliSettings.Limits(configuration), DateTimeOffset.UtcNow, planner);
            if (!result.IsValid)
            {
                if (parse.GetValue(json))
                {
                    // An error, so stderr; in the shape a script reads field by field.
                    Console.Error.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { valid = false, error = $"{path.Name} is not a valid job", errors = result.Errors }, StorageJson.Options));
                }
                else
                {
                    Output.Error($"{path.Name} is not a valid job:", [.. result.Errors.Select(e => (object)$"{e.Field}: {e.Reason}")]);
                }

                return Output.InvalidInput;
            }

            var clients = new StorageClients(CliSettings.Storage(configuration, CliSettings.ResolveConnection(parse.GetValue(connection), configuration)));
            await clients.EnsureCreatedAsync(cancellationToken);
            var queue = new TrainingJobQueue(clients);
            var messageId = await queue.SendAsync(JobContract.Serialize(result.Job!), cancellationToken);
            if (parse.GetValue(json))
            {
                Output.Json(new { valid = true, jobId = result.Job!.Id, messageId });
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"Enqueued job [green]{result.Job!.Id}[/] (message {messageId}).");
            }

            return Output.Ok;
        });
        return command;
    }

    private static Command List(Option<string?> connection)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var active = new Option<bool>("--active") { Description = "Only jobs that have not ended" };
        var command = new Command("list", "List jobs and their status") { json, active };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var store = Store(parse, connection);
            var records = new List<JobRecord>();
            await foreach (var record in store.ListAsync(parse.GetValue(active), cancellationToken))
            {
                records.Add(record);
            }

            if (parse.GetValue(json))
            {
                Output.Json(records.Select(r => new { id = r.Job.Id, r.Job.Name, r.Job.Owner, status = r.State.Status, region = r.State.Region, plannedStart = r.State.Plan?.Start, wakeAt = r.State.WakeAt }));
                return Output.Ok;
            }

            var table = new Table().AddColumns("Job", "Owner", "Status", "Region", "Policy", "Planned start", "Next wake-up");
            foreach (var r in records.OrderBy(r => r.Job.Id, StringComparer.Ordinal))
            {
                table.AddRow(Markup.Escape(r.Job.Id), Markup.Escape(r.Job.Owner), r.State.Status.ToString(), r.State.Region ?? "-", r.State.Plan?.Policy ?? "-", Output.Time(r.State.Plan?.Start), Output.Time(r.State.WakeAt));
            }

            AnsiConsole.Write(table);
            return Output.Ok;
        });
        return command;
    }

    private static Command Show(Option<string?> connection) => ShowRecord(
        connection,
        "show",
        "Show a job: its plan, status and history (--json: the job in the contract's shape, which 'jobs enqueue' takes back)",
        record => Console.Out.WriteLine(JobContract.Serialize(record.Job)));

    private static Command Status(Option<string?> connection) => ShowRecord(
        connection,
        "status",
        "Show a job's lifecycle state: status, plan, wake-up, checkpoints and history",
        record => Output.Json(record.State));

    /// <summary>A command that reads one job and prints it for people, or as <paramref name="json"/> prints it under --json.</summary>
    private static Command ShowRecord(Option<string?> connection, string name, string description, Action<JobRecord> json)
    {
        var id = new Argument<string>("ID") { Description = "The job id" };
        var asJson = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command(name, description) { id, asJson };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var record = await Store(parse, connection).GetAsync(parse.GetValue(id)!, cancellationToken);
            if (record is null)
            {
                Output.Error($"no job '{parse.GetValue(id)}'");
                return Output.NotFound;
            }

            if (parse.GetValue(asJson))
            {
                json(record);
            }
            else
            {
                JobView.Write(record);
                await RegretView.WriteForJobAsync(parse.GetValue(connection), record, cancellationToken);
            }

            return Output.Ok;
        });
        return command;
    }

    private static Command Signal(Option<string?> connection, string kind, string description)
    {
        var id = new Argument<string>("ID") { Description = "The job id" };
        var reason = new Option<string?>("--reason") { Description = "Why (recorded in the job's history)" };
        var failed = new Option<bool>("--failed") { Description = "The run failed" };
        var command = new Command(kind, description) { id, reason };
        if (kind == "complete")
        {
            command.Options.Add(failed);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var configuration = CliSettings.Load();
            var clients = new StorageClients(CliSettings.Storage(configuration, CliSettings.ResolveConnection(parse.GetValue(connection), configuration)));
            var jobId = parse.GetValue(id)!;
            if (await new JobStore(clients).GetAsync(jobId, cancellationToken) is not { } record)
            {
                Output.Error($"no job '{jobId}'");
                return Output.NotFound;
            }

            var eventKind = kind == "cancel" ? "cancel" : parse.GetValue(failed) ? "fail" : "complete";
            if (new JobSignal(eventKind).RefusalFor(record.State, DateTimeOffset.UtcNow) is { } refused)
            {
                // The lifecycle table would refuse it too (e.g. complete before the job ran): say so now.
                Output.Error($"job '{jobId}' is {record.State.Status}: {refused}");
                return Output.InvalidInput;
            }

            await new JobEventQueue(clients).SendAsync(new JobEventMessage(jobId, eventKind, parse.GetValue(reason), DateTimeOffset.UtcNow), cancellationToken);
            AnsiConsole.MarkupLineInterpolated($"Sent [green]{eventKind}[/] for {jobId}; the host applies it on its next poll.");
            return Output.Ok;
        });
        return command;
    }

    private static Command Poison(Option<string?> connection)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("poison", "List dead-lettered messages with the reason they were refused") { json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var configuration = CliSettings.Load();
            var clients = new StorageClients(CliSettings.Storage(configuration, CliSettings.ResolveConnection(parse.GetValue(connection), configuration)));
            var poison = await new DeadLetterQueue(clients, TimeProvider.System).PeekAsync(cancellationToken: cancellationToken);
            if (parse.GetValue(json))
            {
                Output.Json(poison);
                return Output.Ok;
            }

            var table = new Table().AddColumns("Queue", "Message", "Dead-lettered", "Deliveries", "Reason");
            foreach (var p in poison)
            {
                table.AddRow(
                    p.Source.ToString(),
                    Markup.Escape(p.OriginalMessageId ?? "-"),
                    p.DeadLetteredAt is { } at ? Output.Time(at) : "-",
                    p.DequeueCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(p.Reason));
            }

            AnsiConsole.Write(table);
            return Output.Ok;
        });
        return command;
    }

    private static JobStore Store(ParseResult parse, Option<string?> connection)
    {
        var configuration = CliSettings.Load();
        return new JobStore(new StorageClients(CliSettings.Storage(configuration, CliSettings.ResolveConnection(parse.GetValue(connection), configuration))));
    }
}
