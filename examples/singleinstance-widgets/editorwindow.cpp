#include "editorwindow.h"

#include <QtWidgets/qdockwidget.h>
#include <QtWidgets/qlistwidget.h>
#include <QtWidgets/qplaintextedit.h>

EditorWindow::EditorWindow(QWidget *parent)
    : QMainWindow(parent), m_editor(new QPlainTextEdit(this)), m_launches(new QListWidget(this))
{
    setWindowTitle(tr("Single-instance editor"));
    m_editor->setPlaceholderText(
            tr("Launch the program again, with arguments: they appear on the right."));
    setCentralWidget(m_editor);
    auto *dock = new QDockWidget(tr("Launches"), this);
    dock->setWidget(m_launches);
    dock->setFeatures(QDockWidget::NoDockWidgetFeatures);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    resize(720, 420);
}

void EditorWindow::addLaunch(const QStringList &arguments, const QString &workingDirectory)
{
    // One line per launch: the arguments quoted, so that "two words" stays one.
    QStringList quoted;
    for (const QString &argument : arguments)
        quoted.append(QLatin1Char('"') + argument + QLatin1Char('"'));
    auto *item = new QListWidgetItem(quoted.join(QLatin1Char(' ')), m_launches);
    item->setToolTip(tr("in %1").arg(workingDirectory));
    m_launches->scrollToItem(item);

    // Come to the front. A window manager may only flash the task bar entry instead: it decides
    // whether another program's launch may steal the focus.
    if (isMinimized())
        showNormal();
    show();
    raise();
    activateWindow();
}
