// Entry point of the shrink command-line tool.
int main() { return 0; }
