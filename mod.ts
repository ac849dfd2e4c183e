/**
 * braid: a Deno-native, async-first dataflow engine. Write plain functions;
 * a function's name is the value it produces and its parameter names are the
 * values it needs. braid wires them into a DAG, checks it when it is built,
 * and runs it sequentially or concurrently, with lifecycle hooks, an event
 * stream and types that `deno check` verifies.
 *
 * @example
 * ```ts
 * import { Builder } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const features = {
 *   spend: () => [10, 20, 30],
 *   avg_spend: ({ spend }: { spend: number[] }) =>
 *     spend.reduce((a, b) => a + b, 0) / spend.length,
 * };
 *
 * const dr = await new Builder().withModules(features).withExecutor("async").build();
 * const out = await dr.execute(["avg_spend"]);
 * assert.equal(out.avg_spend, 20);
 * ```
 *
 * @module
 */
export { Builder, type BuildOptions, type ModuleInput } from "./src/builder.ts";
export { DriverFactory } from "./src/factory.ts";
export {
  AsyncDriver,
  type DictResult,
  type ExecuteOptions,
  type ExecuteOptionsOf,
  type ExecuteResult,
  type ExecuteResultWith,
  type MapItemResult,
  type MapOptions,
  type MaterializeOptionsOf,
  type NodeRef,
} from "./src/driver.ts";
export {
  type AllTyped,
  type Exposed,
  type FieldOutputs,
  type Intersect,
  type NamedOutput,
  type NestedNodeOf,
  type NestedOutputs,
  Pipeline,
  type PipelineMapOptions,
  type PipelineNode,
  type PipelineOptions,
  type PipelineOutputs,
  type PipelineResult,
  type PipelineRunOptions,
  type PipelineRunResult,
} from "./src/pipeline.ts";
export type { AsNodeOptions, NestedNode } from "./src/nested.ts";
export {
  Engine,
  type EngineOptions,
  type MapExecutorKind,
} from "./src/engine.ts";
export {
  type AddsInputs,
  type AnyFn,
  type BindingModifier,
  type CallStyle,
  type CollectsOf,
  type DeclaredInputs,
  type FansOut,
  type FieldMap,
  type FieldsModifier,
  type FieldsOf,
  inputs,
  InputsModifier,
  type InputSpec,
  type IsLoader,
  isNodeDef,
  type IsVariant,
  type LoaderModifier,
  type Modifier,
  type ModifierContext,
  type ModifierPhase,
  type ModifierTarget,
  type NameOf,
  type NamingModifier,
  node,
  type NodeDef,
  type NodeSpec,
  type Tags,
  type TagValue,
  type UnionToFields,
  type VariantModifier,
} from "./src/node.ts";
export { named } from "./src/modifiers/named.ts";
export { priority } from "./src/modifiers/priority.ts";
export { retry, type RetryPolicy } from "./src/modifiers/retry.ts";
export {
  EXECUTION_MODES,
  type ExecutionMode,
  type ModeOptions,
} from "./src/modes.ts";
export {
  type Binding,
  Group,
  group,
  Source,
  source,
  Value,
  value,
} from "./src/modifiers/_bind.ts";
export {
  type Assignments,
  type Bindings,
  parameterize,
} from "./src/modifiers/parameterize.ts";
export { inject } from "./src/modifiers/inject.ts";
export {
  type ExtractedFields,
  extractFields,
  type ExtractOptions,
  type UnpackedFields,
  unpackFields,
} from "./src/modifiers/extract.ts";
export {
  collect,
  type CollectModifier,
  type FanOutModifier,
  parallelizable,
} from "./src/modifiers/parallelizable.ts";
export { tagOutputs } from "./src/modifiers/tag_outputs.ts";
export { resolveFromConfig } from "./src/modifiers/resolve.ts";
export { describe } from "./src/modifiers/describe.ts";
export { does, type DoesOptions } from "./src/modifiers/does.ts";
export {
  ConfigSource,
  configuration,
  parameterizedSubdag,
  subdag,
  type SubdagOptions,
} from "./src/modifiers/subdag.ts";
export {
  applyTo,
  mutate,
  MutateModifier,
  Target,
} from "./src/modifiers/mutate.ts";
export {
  type Condition,
  pipeInput,
  type PipeInputOptions,
  pipeOutput,
  type PipeOutputOptions,
  Step,
  step,
} from "./src/modifiers/pipe.ts";
export {
  cache,
  type CacheBehavior,
  type CacheDeclaration,
  type CacheModifierOptions,
} from "./src/modifiers/cache.ts";
export { cacheKey } from "./src/cache/data_version.ts";
export type {
  CacheBehaviors,
  CacheLogEntry,
  CacheOptions,
  CacheOutcome,
  CacheView,
  RunRecord,
} from "./src/cache/cache.ts";
export type { KeyMemo, NodeCacheInfo } from "./src/cache/session.ts";
export type { Hasher } from "./src/cache/hasher.ts";
export type { DataVersion } from "./src/cache/data_version.ts";
export {
  type CacheEntry,
  type CacheHit,
  type CacheRead,
  type CacheStore,
  MemoryCacheStore,
} from "./src/cache/store.ts";
export {
  SqliteCacheStore,
  type SqliteCacheStoreOptions,
} from "./src/cache/sqlite_store.ts";
export {
  DenoKvCacheStore,
  type DenoKvCacheStoreOptions,
  type KvLike,
} from "./src/cache/kv_store.ts";
export { CacheError } from "./src/cache/cache_error.ts";
export {
  type CheckFunction,
  type CheckOptions,
  checkOutput,
  DATA_QUALITY_SOURCE_TAG,
  DATA_QUALITY_TAG,
  type StandardResult,
  type StandardSchemaLike,
  type ValidationResult,
} from "./src/modifiers/check_output.ts";
export {
  RESERVED_TAG_NAMESPACES,
  tag,
  type TagOptions,
} from "./src/modifiers/tag.ts";
export {
  type Conditions,
  config,
  type ConfigPredicate,
  type ListConditions,
} from "./src/modifiers/config.ts";
export {
  BraidError,
  CancelledError,
  ConfigError,
  CycleError,
  DuplicateNodeError,
  HookError,
  InputError,
  InvalidNodeError,
  type MissingInput,
  MissingInputError,
  NodeExecutionError,
  RemoteError,
  RunFailedError,
  ValidationError,
  WorkerError,
} from "./src/errors.ts";
export { type SeedSource, UnknownNodeError } from "./src/plan.ts";
export type { NodeInfo, TagFilter } from "./src/graph.ts";
export type { HookName } from "./src/hooks.ts";
export type {
  Adapter,
  AfterGraphBuildEvent,
  AfterGraphExecutionEvent,
  AfterMapEvent,
  AfterNodeExecutionEvent,
  BeforeAnythingEvent,
  BeforeGraphExecutionEvent,
  BeforeMapEvent,
  BeforeNodeExecutionEvent,
  BuildResultEvent,
  EventOf,
  GraphView,
  MapItemEvent,
  MaybePromise,
  NodeCachedEvent,
  NodeLogEvent,
  TaskExpandEvent,
  TaskGroupEvent,
  TaskSubmissionEvent,
  TraceTaskEvent,
  ValidateInputEvent,
  ValidationVerdict,
} from "./src/hooks.ts";
export type {
  EventBase,
  ExecutionEvent,
  MapItemStreamEvent,
  NodeCachedStreamEvent,
  NodeEventBase,
  NodeFailedEvent,
  NodeLogStreamEvent,
  NodeSkippedEvent,
  NodeStartedEvent,
  NodeSucceededEvent,
  RunFinishedEvent,
  RunStartedEvent,
  RunTags,
  SkipReason,
  WarningStreamEvent,
} from "./src/events.ts";
export type { NodeResult, NodeStatus, RunResult } from "./src/results.ts";
export type { RunContext } from "./src/run.ts";
export type {
  CarriedCall,
  Carry,
  Executor,
  ExecutorCall,
  ExecutorKind,
  ExecutorLike,
  ExecutorOptions,
} from "./src/executors/executor.ts";
export { SequentialExecutor } from "./src/executors/sequential.ts";
export {
  AsyncExecutor,
  type AsyncExecutorOptions,
} from "./src/executors/async.ts";
export {
  ThreadedExecutor,
  type ThreadedExecutorOptions,
} from "./src/executors/threaded.ts";
export {
  ProcessExecutor,
  type ProcessExecutorOptions,
} from "./src/executors/process.ts";
export {
  type RedisClientLike,
  RemoteExecutor,
  type RemoteExecutorOptions,
} from "./src/executors/remote.ts";
export type { FailurePolicy } from "./src/scheduler.ts";
export {
  type ExecutorsOptions,
  type Route,
  routeByCost,
  type RouteByCostOptions,
  type RouteTask,
} from "./src/routing.ts";
export type { NodeMetrics } from "./src/metrics.ts";
export type { MapErrorMode, MapMode } from "./src/map.ts";
export type { WorkerPoolOptions } from "./src/executors/pool.ts";
export type { DotOptions } from "./src/dot.ts";
export type { SvgOptions } from "./src/svg.ts";
export type {
  ExecutionPlan,
  ExportedInput,
  ExportedNode,
} from "./src/export.ts";
export type {
  AnyHiddenInputs,
  BlockTag,
  BuiltIn,
  Checked,
  CollectedBy,
  ColumnOf,
  EdgeValue,
  EdgeValueOf,
  ExportNodeName,
  ExportOf,
  FieldName,
  FieldNameOf,
  FieldsOfExport,
  FieldValue,
  FirstParam,
  HasFanOut,
  HiddenInputs,
  InputName,
  InputsOf,
  InputValue,
  ItemOf,
  KnownNames,
  LiteralNodeName,
  LoadedValue,
  Membership,
  MergeModules,
  Mismatches,
  ModuleType,
  NodeExports,
  NodeName,
  NodeValue,
  Outputs,
  OverridesOf,
  ParamObject,
  Positional,
  ReadField,
  ResultOf,
  ValueOf,
  VariantBase,
} from "./src/types.ts";
export {
  ProgressBar,
  type ProgressBarOptions,
} from "./src/observe/progress.ts";
export type { SyncWriter, TerminalWriter } from "./src/observe/writer.ts";
export {
  OpenTelemetryAdapter,
  type OpenTelemetryAdapterOptions,
  type OpenTelemetryTracer,
} from "./src/observe/otel.ts";
export {
  type OpenTelemetryContext,
  traceContext,
} from "./src/observe/trace_context.ts";
export {
  LogAdapter,
  type LogAdapterOptions,
  type LogEventName,
  type LogLevel,
  type LogRecord,
} from "./src/observe/log.ts";
export { params } from "./src/modifiers/params.ts";
export type { ParamNamesOf, ParamsModifier } from "./src/node.ts";
export type {
  NamedInputs,
  NamedParams,
  NamesPartlyKnown,
  TupleIndex,
} from "./src/types.ts";
export type {
  ItemRecords,
  RetentionOptions,
  RunKind,
  RunQuery,
  RunStatus,
  RunStore,
  StoredError,
  StoredItem,
  StoredLog,
  StoredNode,
  StoredNodeStatus,
  StoredPlan,
  StoredPlanNode,
  StoredRun,
  StoredValue,
} from "./src/runs/types.ts";
export {
  MemoryRunStore,
  type MemoryRunStoreOptions,
} from "./src/runs/memory_store.ts";
export {
  SqliteRunStore,
  type SqliteRunStoreOptions,
} from "./src/runs/sqlite_store.ts";
export type { RunStoreOptions, RunStoreWarning } from "./src/runs/_run_log.ts";
export type { RunsView } from "./src/runs/runs.ts";
export type {
  DriverCacheView,
  LineageOptions,
  LineageRow,
} from "./src/runs/lineage.ts";
export {
  type ReexecuteOptions,
  ReexecutionError,
} from "./src/runs/reexecute.ts";
export { serveViewer, type ViewerOptions } from "./src/runs/viewer.ts";
export type { NodeMetadata } from "./src/events.ts";
export { loader } from "./src/modifiers/loader.ts";
export { saver } from "./src/modifiers/saver.ts";
export {
  type FileMetadata,
  readWithMetadata,
  writeWithMetadata,
} from "./src/io/file_metadata.ts";
export {
  dictResult,
  type DictResultBuilder,
  type ListResult,
  listResult,
  type ListResultBuilder,
  type ResultBuilder,
  type ResultTypeOf,
} from "./src/result_builders.ts";
export { arrowTableResult } from "./src/frames/table_result.ts";
export {
  type CsvFromOptions,
  from,
  type FromFactory,
  type FromMaterializers,
  type FromOptions,
  type MaterializationMetadata,
  type Materializer,
  registerMaterializer,
  type SaverNodes,
  to,
  type ToFactory,
  type ToMaterializers,
  type ToOptions,
} from "./src/io/materializers.ts";
export type {
  LoadOptions,
  MaterializerFormat,
  SaveOptions,
} from "./src/io/format.ts";
export type { MaterializeOptions } from "./src/io/materialize.ts";
export { type TableLike, toTable } from "./src/frames/tables.ts";
export {
  extractColumns,
  type ExtractedColumns,
} from "./src/modifiers/extract_columns.ts";
export {
  withColumns,
  type WithColumnsOptions,
} from "./src/modifiers/with_columns.ts";
export {
  type FrameColumns,
  parameterizeFrame,
} from "./src/frames/parameterize_frame.ts";
