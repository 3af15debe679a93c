#ifndef STACK_CSTACKSQLITE_H
#define STACK_CSTACKSQLITE_H

/// sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0), which Swift cannot call (sqlite3_config is variadic). Returns SQLite's
/// result code: SQLITE_MISUSE once the library was initialised (a connection was opened before).
int stack_sqlite_disable_memstatus(void);

#endif
